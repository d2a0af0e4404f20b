"""Appointment statuses follow one state machine, and a replayed booking is only ever a true
one: every answer the API gives about an appointment is backed by its row."""

from __future__ import annotations

from datetime import date, time

from booking.models import AppointmentStatus
from booking.services import appointments

BODY = {
    "staff_id": 0,
    "customer_id": 0,
    "appointment_date": "2026-12-01",
    "appointment_time": "10:00",
    "duration_minutes": 30,
}


def booking_body(shop) -> dict:
    return {**BODY, "business_id": shop.business_id, "staff_id": shop.sam, "customer_id": shop.ada}


async def past_appointment(db, shop) -> int:
    """An appointment that has already started (booked before the clock moved on)."""
    booked = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=shop.ada,
            staff_id=shop.sam,
            local_date=date(2026, 11, 23),
            local_time=time(10),
            duration_minutes=30,
        ),
        now=date_time(2026, 11, 20),
    )
    return booked.id


def date_time(year: int, month: int, day: int):
    from datetime import UTC, datetime

    return datetime(year, month, day, 12, tzinfo=UTC)


async def mark(client, auth, appointment_id: int, status: str):
    return await client.post(f"/api/appointments/{appointment_id}/status/{status}", headers=auth)


async def test_a_cancelled_appointment_stays_cancelled(client, shop, auth):
    """A cancelled appointment cannot be marked completed or no-show (its time may be someone
    else's now): 409 with a problem body saying why, and the row is unchanged."""
    booked = (await client.post("/api/appointments", json=booking_body(shop), headers=auth)).json()
    await client.post(f"/api/appointments/{booked['id']}/cancel", headers=auth)
    for status in ("completed", "no_show"):
        refused = await mark(client, auth, booked["id"], status)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "a cancelled appointment cannot be marked" in refused.json()["detail"]
    again = await client.post(f"/api/appointments/{booked['id']}/cancel", headers=auth)
    assert again.status_code == 409
    read = await client.get(f"/api/appointments/{booked['id']}", headers=auth)
    assert read.json()["status"] == "cancelled"


async def test_completed_and_no_show_only_once_it_has_started(client, db, shop, auth):
    """A future appointment cannot be completed or a no-show; a past one can, and an admin
    can correct which of the two it was, but not cancel it afterwards."""
    future = (await client.post("/api/appointments", json=booking_body(shop), headers=auth)).json()
    early = await mark(client, auth, future["id"], "completed")
    assert early.status_code == 409 and "only once it has started" in early.json()["detail"]
    past = await past_appointment(db, shop)
    assert (await mark(client, auth, past, "no_show")).json()["status"] == "no_show"
    assert (await mark(client, auth, past, "completed")).json()["status"] == "completed"
    cancel = await client.post(f"/api/appointments/{past}/cancel", headers=auth)
    assert cancel.status_code == 409
    stored = await appointments.get_appointment(db, shop.business_id, past)
    assert stored.status == AppointmentStatus.COMPLETED


async def test_a_key_whose_appointment_was_cancelled_is_not_replayed_as_booked(client, shop, auth):
    """Retrying a booking with its Idempotency-Key after the appointment was cancelled does
    not answer 201 "booked" with the cancelled appointment: 409 saying to book with a new key,
    and a new key books."""
    headers = {**auth, "Idempotency-Key": "retry-1"}
    first = await client.post("/api/appointments", json=booking_body(shop), headers=headers)
    replay = await client.post("/api/appointments", json=booking_body(shop), headers=headers)
    assert replay.json()["id"] == first.json()["id"]
    await client.post(f"/api/appointments/{first.json()['id']}/cancel", headers=auth)
    stale = await client.post("/api/appointments", json=booking_body(shop), headers=headers)
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "idempotency_key_stale"
    fresh = await client.post(
        "/api/appointments", json=booking_body(shop), headers={**auth, "Idempotency-Key": "r-2"}
    )
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]
