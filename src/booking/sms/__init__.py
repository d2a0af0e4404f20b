"""Text message providers: each a thin client of its provider's REST API (send one text) and
the check of the signature on what the provider posts back (replies, delivery reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Sent:
    """What the provider answered: its status code, the text's id there, or the error."""

    status_code: int | None
    ref: str | None = None
    error: str | None = None


class Provider(Protocol):
    name: str
    base_url: str

    async def send(
        self, client: httpx.AsyncClient, sender: str, to: str, text: str, deadline_seconds: float
    ) -> Sent:
        """Hand one text to the provider; raises httpx errors, never anything else."""
        ...
