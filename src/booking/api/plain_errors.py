"""Errors of the API layer whose sentences the service layer's shapes cannot say: a lookup by
phone number or by key (not by id), and several fields refused in one answer."""

from __future__ import annotations

from booking.errors import BookingError, InvalidInput, NotFound


class NotFoundBy(NotFound):
    """Not found by something other than an id: "no customer with that phone number"."""

    def __init__(self, resource: str, message: str) -> None:
        BookingError.__init__(self, message)
        self.resource = resource
        self.identifier = None


class InvalidFields(InvalidInput):
    """Several fields refused at once, so a client fixes them all in one go."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        field, reason = problems[0]
        super().__init__(field, reason)
        by_reason: dict[str, list[str]] = {}
        for name, why in problems:
            by_reason.setdefault(why, []).append(name)
        self.message = "; ".join(f"{', '.join(names)}: {why}" for why, names in by_reason.items())
        self.problems = problems


def raise_all(problems: list[tuple[str, str]]) -> None:
    """Raise the fields gathered so far, if any were refused."""
    if len(problems) == 1:
        raise InvalidInput(*problems[0])
    if problems:
        raise InvalidFields(problems)
