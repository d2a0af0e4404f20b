"""Bodies of the admin routes (business, staff, services, customers, appointments)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic_core import PydanticCustomError

from booking.api.schemas import (
    AppointmentOut,
    Body,
    CustomerOut,
    DateText,
    Email,
    Id,
    Label,
    Name,
    TimeText,
)
from booking.config import validate_timezone
from booking.services.businesses import LINE_LIMITS, BusinessInfo
from booking.services.closures import ClosureInfo
from booking.services.phones import is_region
from booking.services.staff import OverrideInfo, ServiceInfo, StaffInfo

T = TypeVar("T")
Phone = Annotated[str, Field(min_length=1, max_length=40)]
LineLimit = Annotated[int, Field(ge=1, le=1000)]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class BusinessOut(BaseModel):
    id: int
    name: str
    timezone: str
    default_region: str
    numbers: list[str]
    slot_step_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancellation_cutoff_minutes: int
    transfer_number: str | None
    max_call_seconds: int
    # The public line's limits: bookings a call may make, future bookings one customer may
    # hold, bookings a day from withheld numbers, and calls a number may make in the window.
    max_bookings_per_call: int
    max_future_bookings_per_customer: int
    max_withheld_bookings_per_day: int
    max_calls_per_number: int
    repeat_call_window_minutes: int
    is_demo: bool  # the demo `make run` seeds; it gives way to a real business
    reminder_minutes: int  # reminders go this long before each appointment; 0: none
    sms_number: str | None  # texts go from it; none: the first of `numbers`
    quiet_from_minute: int  # no texts from (local minutes after midnight; 1260 is 21:00) ...
    quiet_until_minute: int  # ... until (480 is 08:00); equal: no quiet hours

    @classmethod
    def of(cls, info: BusinessInfo) -> BusinessOut:
        return cls(
            id=info.id,
            name=info.name,
            timezone=info.timezone,
            default_region=info.default_region,
            numbers=list(info.numbers),
            slot_step_minutes=info.slot_step_minutes,
            min_notice_minutes=info.min_notice_minutes,
            horizon_days=info.horizon_days,
            cancellation_cutoff_minutes=info.cancellation_cutoff_minutes,
            transfer_number=info.transfer_number,
            max_call_seconds=info.max_call_seconds,
            **{field: getattr(info, field) for field in LINE_LIMITS},
            is_demo=info.is_demo,
            reminder_minutes=info.reminder_minutes,
            sms_number=info.sms_number,
            quiet_from_minute=info.quiet_from_minute,
            quiet_until_minute=info.quiet_until_minute,
        )


def known_timezone(value: str) -> str:
    """Checked here, beside the other settings, so one answer names every bad one."""
    try:
        validate_timezone(value)
    except ValueError as exc:
        raise PydanticCustomError("timezone", str(exc)) from None
    return value


def known_region(value: str) -> str:
    if not is_region(value):
        raise PydanticCustomError("region", "is not a region code like US or GB")
    return value


class BusinessUpdate(Body):
    name: Name | None = None
    timezone: Annotated[str, Field(max_length=64), AfterValidator(known_timezone)] | None = None
    default_region: (
        Annotated[str, Field(min_length=2, max_length=2), AfterValidator(known_region)] | None
    ) = None
    numbers: Annotated[list[Phone], Field(max_length=20)] | None = None
    slot_step_minutes: Annotated[int, Field(ge=5, le=240)] | None = None
    min_notice_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] | None = None
    horizon_days: Annotated[int, Field(ge=1, le=730)] | None = None
    cancellation_cutoff_minutes: Annotated[int, Field(ge=0, le=14 * 24 * 60)] | None = None
    transfer_number: Annotated[str, Field(max_length=40)] | None = None
    max_call_seconds: Annotated[int, Field(ge=60, le=1800)] | None = None
    max_bookings_per_call: LineLimit | None = None
    max_future_bookings_per_customer: LineLimit | None = None
    max_withheld_bookings_per_day: LineLimit | None = None
    max_calls_per_number: LineLimit | None = None
    repeat_call_window_minutes: LineLimit | None = None
    reminder_minutes: Annotated[int, Field(ge=0, le=14 * 24 * 60)] | None = None
    sms_number: Annotated[str, Field(max_length=40)] | None = None
    quiet_from_minute: Annotated[int, Field(ge=0, le=24 * 60 - 1)] | None = None
    quiet_until_minute: Annotated[int, Field(ge=0, le=24 * 60 - 1)] | None = None


class ClosureIn(Body):
    starts_on: date
    ends_on: date | None = None
    reason: Label = ""


class ClosureOut(BaseModel):
    id: int
    starts_on: date
    ends_on: date
    reason: str

    @classmethod
    def of(cls, info: ClosureInfo) -> ClosureOut:
        return cls(id=info.id, starts_on=info.starts_on, ends_on=info.ends_on, reason=info.reason)


def _wall_clock(value: time) -> time:
    # pydantic reads 0 or "09:00Z" as a time with an offset; hours are local wall-clock times.
    if value.tzinfo is not None:
        raise PydanticCustomError("time", "give a local wall-clock time (HH:MM) without an offset")
    if value.second or value.microsecond:
        raise PydanticCustomError("time", "give hours to the minute (HH:MM)")
    return value


# Litestar documents `time` as an ISO duration; it travels as a wall-clock time ("09:00"), in
# and out, like every other time of day in the API.
WallTime = Annotated[
    time,
    AfterValidator(_wall_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    Field(
        json_schema_extra={
            "format": None,
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:00)?$",
            "examples": ["09:00"],
        }
    ),
]


class IntervalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens_at: WallTime
    closes_at: WallTime

    @model_validator(mode="after")
    def _closes_after_opening(self) -> IntervalIn:
        if self.closes_at <= self.opens_at:
            raise PydanticCustomError(
                "interval",
                "closes_at {closes} is not after opens_at {opens}",
                {"closes": f"{self.closes_at:%H:%M}", "opens": f"{self.opens_at:%H:%M}"},
            )
        return self


class DayHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    intervals: Annotated[list[IntervalIn], Field(max_length=12)]


class HoursIn(Body):
    days: Annotated[list[DayHours], Field(max_length=7)]

    def as_weekday_map(self) -> dict[int, list[tuple[time, time]]]:
        hours: dict[int, list[tuple[time, time]]] = {}
        for day in self.days:
            hours.setdefault(WEEKDAYS.index(day.weekday), []).extend(
                (i.opens_at, i.closes_at) for i in day.intervals
            )
        return hours


class HoursOut(BaseModel):
    days: list[DayHours]

    @classmethod
    def of(cls, info: StaffInfo) -> HoursOut:
        return cls(
            days=[
                DayHours(
                    weekday=WEEKDAYS[day],
                    intervals=[IntervalIn(opens_at=o, closes_at=c) for o, c in intervals],
                )
                for day, intervals in info.weekly_hours.items()
            ]
        )


class StaffIn(Body):
    name: Name
    service_ids: Annotated[list[Id], Field(max_length=100)] = []
    hours: HoursIn | None = None


class StaffUpdate(Body):
    name: Name | None = None
    active: bool | None = None
    service_ids: Annotated[list[Id], Field(max_length=100)] | None = None


class StaffOut(BaseModel):
    id: int
    name: str
    active: bool
    service_ids: list[int]
    hours: HoursOut

    @classmethod
    def of(cls, info: StaffInfo) -> StaffOut:
        return cls(
            id=info.id,
            name=info.name,
            active=info.active,
            service_ids=list(info.service_ids),
            hours=HoursOut.of(info),
        )


class ServicesOfStaff(Body):
    service_ids: Annotated[list[Id], Field(max_length=100)]


class OverrideIn(Body):
    date: date
    intervals: Annotated[list[IntervalIn], Field(max_length=12)] = []
    reason: Label = ""


class OverrideOut(BaseModel):
    date: date
    closed: bool
    intervals: list[IntervalIn]
    reason: str

    @classmethod
    def of(cls, info: OverrideInfo) -> OverrideOut:
        return cls(
            date=info.on_date,
            closed=not info.intervals,
            intervals=[IntervalIn(opens_at=o, closes_at=c) for o, c in info.intervals],
            reason=info.reason,
        )


class CalendarFeedOut(BaseModel):
    url: str


Currency = Annotated[str, Field(min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")]
PriceMinor = Annotated[int, Field(ge=0, le=100_000_000)]


class ServiceIn(Body):
    name: Name
    duration_minutes: Annotated[int, Field(ge=5, le=720)]
    buffer_minutes: Annotated[int, Field(ge=0, le=240)] = 0
    price_minor: PriceMinor | None = None  # e.g. 2500 with USD: 25 dollars
    currency: Currency | None = None  # ISO 4217; given with price_minor
    description: Annotated[str, Field(max_length=500)] = ""


class ServiceUpdate(Body):
    name: Name | None = None
    duration_minutes: Annotated[int, Field(ge=5, le=720)] | None = None
    buffer_minutes: Annotated[int, Field(ge=0, le=240)] | None = None
    active: bool | None = None
    price_minor: PriceMinor | None = None
    currency: Currency | None = None
    description: Annotated[str, Field(max_length=500)] | None = None


class ServiceOut(BaseModel):
    id: int
    name: str
    duration_minutes: int
    buffer_minutes: int
    active: bool
    price_minor: int | None
    currency: str | None
    description: str

    @classmethod
    def of(cls, info: ServiceInfo) -> ServiceOut:
        return cls(
            id=info.id,
            name=info.name,
            duration_minutes=info.duration_minutes,
            buffer_minutes=info.buffer_minutes,
            active=info.active,
            price_minor=info.price_minor,
            currency=info.currency,
            description=info.description,
        )


class ProfileIn(Body):
    address: Annotated[str, Field(max_length=500)] | None = None
    description: Annotated[str, Field(max_length=1000)] | None = None
    directions: Annotated[str, Field(max_length=1000)] | None = None  # and parking


class ProfileOut(BaseModel):
    address: str
    description: str
    directions: str


class FaqIn(Body):
    question: Annotated[str, Field(min_length=1, max_length=300)]
    answer: Annotated[str, Field(min_length=1, max_length=1000)]


class FaqOut(BaseModel):
    id: int
    question: str
    answer: str


class CustomerUpdate(Body):
    name: Label | None = None  # an empty name is refused by the service, with the others
    phone: Phone | None = None
    email: Email = None
    notes: Annotated[str, Field(max_length=2000)] | None = None
    email_consent: bool | None = None
    sms_consent: bool | None = None


class CustomerDetailOut(CustomerOut):
    appointments: list[AppointmentOut]


class AppointmentMove(Body):
    appointment_date: DateText
    appointment_time: TimeText
    staff_id: Id | None = None


class AvailabilityOut(BaseModel):
    timezone: str
    start_date: str
    end_date: str
    duration_minutes: int
    slots: list[AvailabilitySlot]
    next_after: str | None = None  # more slots follow: send it as `after` for the next page


class AvailabilitySlot(BaseModel):
    date: str
    time: str
    starts_at: datetime
    ends_at: datetime
    staff_id: int
    staff_name: str


AvailabilityOut.model_rebuild()
