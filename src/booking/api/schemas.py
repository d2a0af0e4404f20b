"""Request and response bodies; dates and times travel as strings the services parse, so a bad
one is reported under its own field name."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from booking.models import MAX_ID
from booking.services.appointments import AppointmentInfo
from booking.services.availability import Slot
from booking.services.customers import CustomerInfo
from booking.services.localtime import EARLIEST_DATE, LATEST_DATE

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def calendar_date(value: str) -> str:
    """Checked with the other fields, so one answer names every bad field; the services parse
    the text again (and keep their own check for callers other than the API)."""
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date", "must be a date in the form YYYY-MM-DD") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise PydanticCustomError(
            "date", f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
        )
    return value


def wall_clock_time(value: str) -> str:
    """A local wall-clock time ("10:00"), checked with the other fields for the same reason."""
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("time", "must be a time in the form HH:MM") from None
    if parsed.tzinfo is not None:
        raise PydanticCustomError("time", "give a local wall-clock time (HH:MM) without an offset")
    return value


DateText = Annotated[
    str, Field(max_length=10, examples=["2026-12-10"]), AfterValidator(calendar_date)
]
TimeText = Annotated[str, Field(max_length=8, examples=["10:00"]), AfterValidator(wall_clock_time)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(_has_nul(item) for item in value)


def no_control_characters(value: str) -> str:
    """Names and short labels are one line of printable text: a line break or another control
    character would break the calendar feed and the spoken sentences built from them."""
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise ValueError("must not contain control characters such as line breaks or tabs")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_control_characters)]
Label = Annotated[str, Field(max_length=200), AfterValidator(no_control_characters)]


# The address itself is checked by the service, together with the phone it needs the
# business's region for, so one answer names every refused field.
Email = Annotated[str | None, Field(max_length=320)]
BusinessId = Annotated[
    Id | None,
    Field(
        description="Optional: the token already names the business. When given it must be "
        "the token's own (another business's id answers 404)."
    ),
]


class Body(BaseModel):
    """A request body: an unknown field is refused (a typo such as `emial` would otherwise
    change nothing, silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL cannot store U+0000 in text: refused here as a 422, not a 500 there.
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


class CustomerLookup(Body):
    phone: Annotated[str, Field(min_length=1, max_length=40)]
    business_id: BusinessId = None


class CustomerCreate(Body):
    business_id: BusinessId = None
    phone: Annotated[str, Field(min_length=1, max_length=40)]
    name: Label  # an empty name is refused by the service, with the phone and email
    email: Email = None
    notes: Annotated[str, Field(max_length=2000)] = ""
    # Yes to confirmations and reminders by email (sent only with an email address).
    email_consent: bool = False
    # Yes to confirmations and reminders by text message (STOP by text takes it back).
    sms_consent: bool = False


class CustomerOut(BaseModel):
    id: int
    business_id: int
    phone: str
    name: str
    email: str | None
    notes: str
    created_at: datetime
    email_consent: bool
    sms_consent: bool

    @classmethod
    def of(cls, info: CustomerInfo) -> CustomerOut:
        return cls(
            id=info.id,
            business_id=info.business_id,
            phone=info.phone,
            name=info.name,
            email=info.email,
            notes=info.notes,
            created_at=info.created_at,
            email_consent=info.email_consent,
            sms_consent=info.sms_consent,
        )


class AppointmentCreate(Body):
    business_id: BusinessId = None
    customer_id: Id
    staff_id: Id | None = None
    service_id: Id | None = None
    appointment_date: DateText
    appointment_time: TimeText
    duration_minutes: Annotated[int | None, Field(ge=5, le=720)] = None
    notes: Annotated[str, Field(max_length=1000)] = ""


class AppointmentOut(BaseModel):
    id: int
    business_id: int
    staff_id: int
    staff_name: str
    customer_id: int | None
    service_id: int | None
    service_name: str | None
    appointment_date: str
    appointment_time: str
    duration_minutes: int
    starts_at: datetime
    ends_at: datetime
    status: str
    source: str
    outside_hours: bool  # kept booked through a schedule change that left it outside the hours

    @classmethod
    def of(cls, info: AppointmentInfo) -> AppointmentOut:
        return cls(
            id=info.id,
            business_id=info.business_id,
            staff_id=info.staff_id,
            staff_name=info.staff_name,
            customer_id=info.customer_id,
            service_id=info.service_id,
            service_name=info.service_name,
            appointment_date=info.local_date.isoformat(),
            appointment_time=info.local_time.strftime("%H:%M"),
            duration_minutes=info.duration_minutes,
            starts_at=info.starts_at,
            ends_at=info.ends_at,
            status=info.status.value,
            source=info.source.value,
            outside_hours=info.outside_hours,
        )


class SlotOut(BaseModel):
    date: str
    time: str
    starts_at: datetime
    ends_at: datetime
    staff_id: int
    staff_name: str

    @classmethod
    def of(cls, slot: Slot) -> SlotOut:
        return cls(
            date=slot.local_date.isoformat(),
            time=slot.local_time.strftime("%H:%M"),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            staff_id=slot.staff_id,
            staff_name=slot.staff_name,
        )


class SlotsOut(BaseModel):
    staff_id: int
    timezone: str
    start_date: str
    end_date: str
    duration_minutes: int
    slots: list[SlotOut]


class GenerateSlots(Body):
    start_date: DateText | None = None
    end_date: DateText | None = None


class DaySummary(BaseModel):
    date: str
    count: int
    first: str | None
    last: str | None


class GeneratedSlotsOut(SlotsOut):
    days: list[DaySummary]


class DatabaseHealth(BaseModel):
    state: str
    backend: str


class HealthOut(BaseModel):
    status: str
    database: DatabaseHealth
    agent: str
    version: str
