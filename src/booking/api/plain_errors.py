"""Errors of the API layer whose sentences the service layer's shapes cannot say: a lookup by
phone number or by key (not by id)."""

from __future__ import annotations

from booking.errors import BookingError, InvalidFields, NotFound, raise_all

# Several refused fields are the service layer's error now; still importable from here.
__all__ = ["InvalidFields", "NotFoundBy", "raise_all"]


class NotFoundBy(NotFound):
    """Not found by something other than an id: "no customer with that phone number"."""

    def __init__(self, resource: str, message: str) -> None:
        BookingError.__init__(self, message)
        self.resource = resource
        self.identifier = None
