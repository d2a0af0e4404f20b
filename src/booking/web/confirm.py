"""The confirmation step of a destructive button (revoke, unsubscribe, remove): its form posts
without `confirm`, and the answer is a page that says what will happen, with one button that
posts again with `confirm=yes`. Only that second post acts, so neither a stray click nor a
replayed form without the field deletes anything (no script needed under the page's CSP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.response import Template

from booking.web.forms import read_form
from booking.web.render import page

CONFIRM = "yes"


async def is_confirmed(request: Request[Any, Any, Any]) -> bool:
    """Whether the post came from a confirmation page's button."""
    return (await read_form(request)).get("confirm") == CONFIRM


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page asks and says: `action` is where the button posts again,
    `back` where "keep" returns."""

    question: str
    action: str
    button: str
    back: str
    keep: str
    consequences: list[str] = field(default_factory=list)


def confirmation_page(request: Request[Any, Any, Any], asked: Confirmation) -> Template:
    return page(request, "confirm.html", title=asked.question, asked=asked)
