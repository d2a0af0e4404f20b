"""The navigation bar is drawn from the pages that are registered: each page controller may
name its entry, so a page that is not there has no link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Where the product's pages sit in the bar; a page that is not listed goes after these.
ORDER = ("Today", "Week", "New booking", "Calls", "Messages", "Customers", "Setup")


@dataclass(frozen=True)
class NavEntry:
    """One link of the bar: its label, its path under /admin, and whether only an owner's
    session sees it (a staff session would be refused the page anyway)."""

    label: str
    path: str
    owner_only: bool = False

    @property
    def href(self) -> str:
        return "/admin" + self.path

    def order(self) -> tuple[int, str]:
        return (ORDER.index(self.label) if self.label in ORDER else len(ORDER), self.label)


def nav_of(controllers: Iterable[Any]) -> tuple[NavEntry, ...]:
    """The entries the controllers declare (a class attribute `nav: NavEntry`), in bar order."""
    entries = [c.nav for c in controllers if isinstance(getattr(c, "nav", None), NavEntry)]
    return tuple(sorted(entries, key=NavEntry.order))
