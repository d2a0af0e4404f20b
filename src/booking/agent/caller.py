"""Who is calling, and which business they rang: read from the SIP participant, then looked up.

The caller's number comes from the participant attribute `sip.phoneNumber` (the identity
`sip_<number>` only as a fallback); the dialled number from `sip.trunkPhoneNumber`. A missing
or withheld number makes an unverified caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from booking.db import Database
from booking.services import admission, appointments, businesses, calls, customers
from booking.services.admission import Refusal
from booking.services.appointments import AppointmentInfo
from booking.services.businesses import BusinessInfo
from booking.services.customers import CustomerInfo
from booking.services.phones import try_normalize_phone

WITHHELD = {"", "anonymous", "unknown", "private", "restricted", "unavailable"}


@dataclass(frozen=True)
class CallerLine:
    """The raw numbers of a call as LiveKit SIP gives them."""

    caller: str | None
    dialled: str | None
    room_name: str = ""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def read_line(identity: object, attributes: Mapping[str, str], room_name: str = "") -> CallerLine:
    caller = _text(attributes.get("sip.phoneNumber")) if isinstance(attributes, Mapping) else None
    dialled = (
        _text(attributes.get("sip.trunkPhoneNumber")) if isinstance(attributes, Mapping) else None
    )
    name = _text(identity) or ""
    if caller is None and name.startswith("sip_"):
        caller = name
    if caller is not None and caller.strip().lower().removeprefix("sip_") in WITHHELD:
        caller = None
    return CallerLine(caller=caller, dialled=dialled, room_name=room_name)


@dataclass(frozen=True)
class CallSetup:
    business: BusinessInfo
    call_id: int
    caller_number: str | None
    dialled_number: str | None
    customer: CustomerInfo | None
    upcoming: list[AppointmentInfo]
    refusal: Refusal | None = None  # a blocked or too frequent number: not to be answered


async def identify_call(
    db: Database, line: CallerLine, fallback_business_id: int | None, now: datetime
) -> CallSetup | None:
    """Find the business and the customer, and open the call's log row: one trip to the app loop.
    A call the line must not answer (services/admission) is logged as refused here."""
    dialled = try_normalize_phone(line.dialled, "US") if line.dialled else None
    business = await businesses.business_for_dialled_number(db, dialled, fallback_business_id)
    if business is None:
        return None
    caller = try_normalize_phone(line.caller, business.default_region)
    refusal = await admission.refusal_for(db, business, caller, now)
    customer = await customers.find_by_phone(db, business.id, caller) if caller else None
    upcoming = (
        await appointments.list_upcoming(db, business.id, customer.id, now=now, limit=5)
        if customer and refusal is None
        else []
    )
    call_id = await calls.start_call(
        db,
        business.id,
        room_name=line.room_name,
        caller_number=caller,
        dialled_number=dialled,
        customer_id=customer.id if customer else None,
        verified=caller is not None,
        now=now,
    )
    if refusal is not None:
        await admission.log_refusal(db, call_id, refusal, now)
    return CallSetup(business, call_id, caller, dialled, customer, upcoming, refusal)
