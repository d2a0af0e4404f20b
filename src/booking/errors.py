"""The one error hierarchy of the service layer; the API and the agent translate it.

BookingError
├── NotFound                 an id that does not exist or belongs to another business
├── InvalidInput             a field's value is wrong (names the field)
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
