"""Schedule changes that would strand bookings, on the web page: the services refuse them
with the affected appointments (`services/stranding.py`; 409 on the API). The form is shown
again with that list and the API's two other choices as buttons (`on_affected=cancel` or
`keep`), which send the same form again with the choice."""

from __future__ import annotations

from collections.abc import Mapping

from booking.errors import InvalidInput
from booking.services.stranding import OnStranded


def on_affected_of(form: Mapping[str, str]) -> OnStranded:
    """The choice a form sent (`refuse` when it sent none, as on the API)."""
    raw = form.get("on_affected") or OnStranded.REFUSE.value
    try:
        return OnStranded(raw)
    except ValueError:
        raise InvalidInput("on_affected", "is one of refuse, cancel or keep") from None
