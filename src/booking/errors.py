"""The one error hierarchy of the service layer; the API and the agent translate it.

BookingError
├── NotFound                 an id that does not exist or belongs to another business
├── InvalidInput             a field's value is wrong (names the field)
│   ├── InvalidFields        several fields are wrong (names each one)
│   └── OutsideHours         the time is not within the staff member's working hours
├── Conflict                 the write contradicts what is stored
│   ├── SlotUnavailable      the time overlaps another booking
│   ├── DuplicateCustomer    a customer with that phone already exists
│   ├── TooLateToCancel      inside the cancellation cut-off
│   └── LimitReached         a cap of the public line (bookings per call, per customer, ...)
├── IdempotencyConflict      an idempotency key reused with a different request
├── NotAllowed               the caller may not do this (unverified, not theirs)
└── Unavailable              the database cannot be reached right now
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class BookingError(Exception):
    """Base of every error a service raises on purpose; `message` is safe to show a user."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(BookingError):
    code = "not_found"

    def __init__(self, resource: str, identifier: object) -> None:
        super().__init__(f"no {resource} with id {identifier}")
        self.resource = resource
        self.identifier = identifier


class InvalidInput(BookingError):
    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


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


class FieldChecks:
    """Runs independent field checks and reports every refused field together: a service
    that raised on the first would make a client fix one field per request.

        checks = FieldChecks()
        with checks.field():
            name = clean_name(raw_name)
        with checks.field():
            phone = normalize_phone(raw_phone, region)
        checks.raise_any()  # before using name or phone
    """

    def __init__(self) -> None:
        self.refused: list[InvalidInput] = []

    @contextmanager
    def field(self) -> Iterator[None]:
        """Record an InvalidInput raised inside, instead of letting it end the checks."""
        try:
            yield
        except InvalidInput as exc:
            self.refused.append(exc)

    def refuse(self, field: str, message: str) -> None:
        """Record a refused field found without an exception."""
        self.refused.append(InvalidInput(field, message))

    def raise_any(self) -> None:
        """Raise what was refused: one error as it was raised (keeping its kind), several as
        one InvalidFields naming each field (a field refused twice is named once, first
        reason kept)."""
        if len(self.refused) == 1:
            raise self.refused[0]
        problems: dict[str, str] = {}
        for exc in self.refused:
            found = exc.problems if isinstance(exc, InvalidFields) else [(exc.field, exc.reason)]
            for field, why in found:
                problems.setdefault(field, why)
        raise_all(list(problems.items()))


class OutsideHours(InvalidInput):
    code = "outside_hours"

    def __init__(self, message: str = "that time is outside working hours") -> None:
        super().__init__("appointment_time", message)


class Conflict(BookingError):
    code = "conflict"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"

    def __init__(self, message: str = "that time is no longer free") -> None:
        super().__init__(message)


class DuplicateCustomer(Conflict):
    code = "duplicate_customer"

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"a customer with this phone number already exists (id {customer_id})")
        self.customer_id = customer_id


class TooLateToCancel(Conflict):
    code = "too_late_to_cancel"


class LimitReached(Conflict):
    """A booking past one of the public line's caps; `reason` names the cap (for metrics)."""

    code = "limit_reached"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StaleIdempotencyKey(Conflict):
    """The key's first request made an appointment that has since been cancelled or moved:
    replaying "booked" would promise something no row backs."""

    code = "idempotency_key_stale"

    def __init__(self, appointment_id: int) -> None:
        super().__init__(
            f"the appointment made with this key ({appointment_id}) has since been cancelled "
            "or moved; book again with a new key"
        )
        self.appointment_id = appointment_id


class IdempotencyConflict(BookingError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request")


class NotAllowed(BookingError):
    code = "not_allowed"


class Unavailable(BookingError):
    code = "unavailable"

    def __init__(self, message: str = "the database is unavailable; try again shortly") -> None:
        super().__init__(message)
