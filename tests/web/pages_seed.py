"""Data the page tests read, written through the services the receptionist itself uses (the
call log, its tool calls, messages, bookings), never as rows behind their back."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from booking.db import Database
from booking.models import AppointmentSource, CallOutcome
from booking.services import appointments, calls
from booking.services.appointments import AppointmentInfo, BookingRequest
from booking.services.calls import MessageInfo
from tests.factories import Shop

TRANSCRIPT = [
    ("assistant", "Hello, Test Salon, this is the receptionist. How can I help?"),
    ("user", "Hi, it's Ada. Could I get a haircut tomorrow at ten?"),
    ("assistant", "Tuesday the 1st of December at 10:00 with Sam is free. Shall I book it?"),
    ("user", "Yes please."),
    ("assistant", "Booked: a haircut on Tuesday at 10:00 with Sam. Goodbye!"),
]


async def recorded_call(
    db: Database,
    shop: Shop,
    started: datetime,
    *,
    book_at: time | None = time(10),
    caller: str | None = "+12345678900",
) -> tuple[int, AppointmentInfo | None]:
    """A call of Ada's as the agent records it: transcript turns, two tool calls with their
    arguments, results and latencies, and (with `book_at`) the appointment it booked for the
    next day with Sam."""
    call_id = await calls.start_call(
        db, shop.business_id, room_name=f"call-{started:%H%M%S}", caller_number=caller,
        dialled_number="+12125550100", customer_id=shop.ada if caller else None,
        verified=caller is not None, now=started,
    )  # fmt: skip
    await calls.append_transcript(
        db,
        call_id,
        [
            {"role": role, "text": text, "at": (started + timedelta(seconds=9 * i)).isoformat()}
            for i, (role, text) in enumerate(TRANSCRIPT)
        ],
    )
    day = (started + timedelta(days=1)).date()
    await calls.record_tool_call(
        db, call_id, name="check_availability",
        arguments={"date": day.isoformat(), "service": "Haircut"},
        result="Options: o1 Tuesday the 1st of December at 10:00 with Sam", error=None,
        latency_ms=23.4,
    )  # fmt: skip
    booked = None
    if book_at is not None:
        booked = await appointments.book(
            db,
            BookingRequest(
                business_id=shop.business_id, customer_id=shop.ada, local_date=day,
                local_time=book_at, staff_id=shop.sam, service_id=shop.haircut,
                source=AppointmentSource.PHONE, call_id=call_id,
            ),
            now=started,
        )  # fmt: skip
        await calls.record_tool_call(
            db, call_id, name="book_appointment", arguments={"option_id": "o1"},
            result=f"Booked appointment {booked.id}", error=None, latency_ms=41.0,
        )  # fmt: skip
    await calls.finish_call(
        db, call_id, CallOutcome.BOOKED if booked else CallOutcome.INFO,
        now=started + timedelta(minutes=2, seconds=5),
    )  # fmt: skip
    return call_id, booked


async def message(db: Database, shop: Shop, body: str, *, name: str = "Bo") -> MessageInfo:
    return await calls.take_message(
        db, shop.business_id, body=body, caller_name=name, callback_number="+12125550123"
    )
