"""Appointments: adjacency and buffers, the database's own overlap guard, moving, cancelling,
listing, and idempotent booking; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.db import Database
from booking.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    OutsideHours,
    SlotUnavailable,
    TooLateToCancel,
)
from booking.models import AppointmentSource
from booking.services import appointments, customers
from booking.services.appointments import BookingRequest
from booking.services.integrity import is_overlap
from booking.services.schedule import StaffSchedule
from tests.conftest import NOW
from tests.factories import Shop

MONDAY = date(2026, 11, 30)  # NOW is 08:00 on this day in New York
TUESDAY = date(2026, 12, 1)


def _request(
    shop: Shop,
    at: time,
    *,
    day: date = TUESDAY,
    staff_id: int | None = None,
    minutes: int | None = 30,
    service_id: int | None = None,
    customer_id: int | None = None,
) -> BookingRequest:
    return BookingRequest(
        business_id=shop.business_id,
        customer_id=customer_id or shop.ada,
        staff_id=staff_id if staff_id is not None else shop.sam,
        service_id=service_id,
        duration_minutes=None if service_id else minutes,
        local_date=day,
        local_time=at,
    )


async def _book(
    db: Database, shop: Shop, at: time, **kwargs: object
) -> appointments.AppointmentInfo:
    return await appointments.book(db, _request(shop, at, **kwargs), now=NOW)  # type: ignore[arg-type]


async def _scalar(db: Database, sql: str, **params: object) -> object:
    async with db.read() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def _rows(db: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with db.read() as session:
        return [tuple(row) for row in (await session.execute(text(sql), params)).all()]


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A New York wall time in December (UTC-5) as a UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) + timedelta(hours=5)


# --- adjacency and buffers ---------------------------------------------------------------------


async def test_back_to_back_bookings_without_buffer_both_succeed(db, shop):
    """[09:00, 09:30) then [09:30, 10:00) with Sam and no service are both stored (half-open
    ranges), and so are beard trims (15 min, no buffer) at 10:00 and 10:15."""
    first = await _book(db, shop, time(9))
    second = await _book(db, shop, time(9, 30))
    await _book(db, shop, time(10), service_id=shop.trim)
    await _book(db, shop, time(10, 15), service_id=shop.trim)

    assert first.ends_at == second.starts_at
    count = await _scalar(db, "SELECT count(*) FROM appointments WHERE status = 'booked'")
    assert count == 4


async def test_haircut_buffer_blocks_the_next_start_until_it_ends(db, shop):
    """A 09:00 haircut (30 min + 10 min buffer) blocks until 09:40: a haircut or a plain booking
    at 09:30 is refused with SlotUnavailable, a haircut at 09:40 is booked. A new haircut's own
    buffer counts too: with a booking at 11:00, 10:30 is refused and 10:20 accepted."""
    await _book(db, shop, time(9), service_id=shop.haircut)
    await _book(db, shop, time(11))

    with pytest.raises(SlotUnavailable):
        await _book(db, shop, time(9, 30), service_id=shop.haircut)
    with pytest.raises(SlotUnavailable):
        await _book(db, shop, time(9, 30), minutes=30)
    with pytest.raises(SlotUnavailable):
        await _book(db, shop, time(10, 30), service_id=shop.haircut)
    await _book(db, shop, time(9, 40), service_id=shop.haircut)
    await _book(db, shop, time(10, 20), service_id=shop.haircut)

    assert await _scalar(db, "SELECT count(*) FROM appointments") == 4


async def test_booking_checks_time_hours_and_customer(db, shop):
    """A past time, too little notice and over-long notes are InvalidInput, lunchtime is
    OutsideHours, an unknown customer or call is NotFound (never a raw database error); nothing
    is stored."""
    with pytest.raises(InvalidInput) as past:
        await _book(db, shop, time(7), day=MONDAY)
    assert past.value.field == "appointment_time"
    with pytest.raises(InvalidInput):
        await _book(db, shop, time(8, 30), day=MONDAY)  # under the 60 minutes' notice
    with pytest.raises(OutsideHours):
        await _book(db, shop, time(12, 15))  # Sam's lunch
    with pytest.raises(NotFound):
        await _book(db, shop, time(10), customer_id=999_999)
    with pytest.raises(NotFound):
        await appointments.book(db, replace(_request(shop, time(10)), call_id=999_999), now=NOW)
    with pytest.raises(InvalidInput) as notes:
        await appointments.book(db, replace(_request(shop, time(10)), notes="x" * 1001), now=NOW)
    assert notes.value.field == "notes"

    assert await _scalar(db, "SELECT count(*) FROM appointments") == 0


# --- the database's own guard -------------------------------------------------------------------


def _instant(db: Database, instant: datetime) -> object:
    """A bind value as `UTCDateTime` stores it: naive UTC text on SQLite, timestamptz on PG."""
    if db.is_sqlite:
        return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return instant


async def _raw_insert(
    db: Database,
    shop: Shop,
    starts: datetime,
    ends: datetime,
    *,
    staff_id: int | None = None,
    status: str = "booked",
) -> None:
    async with db.write() as session:
        await session.execute(
            text(
                "INSERT INTO appointments (business_id, staff_id, customer_id, starts_at, ends_at, "
                "blocked_until, status, source, notes, created_at, updated_at) VALUES (:business, "
                ":staff, :customer, :starts, :ends, :ends, :status, 'api', '', :now, :now)"
            ),
            {
                "business": shop.business_id,
                "staff": staff_id or shop.sam,
                "customer": shop.ada,
                "starts": _instant(db, starts),
                "ends": _instant(db, ends),
                "status": status,
                "now": _instant(db, NOW),
            },
        )


async def test_database_refuses_an_overlapping_insert_made_with_plain_sql(db, shop):
    """An INSERT that bypasses the services and overlaps a booked appointment of the same staff
    member is refused by the database itself (exclusion constraint / trigger); an adjacent one
    and one for another staff member are accepted. (The service stores 10:00 New York as 15:00
    UTC, on SQLite as the fixed text the triggers compare.)"""
    await _book(db, shop, time(10))  # [15:00, 15:30) UTC
    stored = await _scalar(db, "SELECT starts_at FROM appointments")
    assert stored == ("2026-12-01 15:00:00.000000" if db.is_sqlite else _utc(TUESDAY, 10))

    with pytest.raises(IntegrityError) as refused:
        await _raw_insert(db, shop, _utc(TUESDAY, 10, 15), _utc(TUESDAY, 10, 45))
    assert is_overlap(refused.value)
    with pytest.raises(IntegrityError) as inside:
        await _raw_insert(db, shop, _utc(TUESDAY, 9), _utc(TUESDAY, 11))
    assert is_overlap(inside.value)
    await _raw_insert(db, shop, _utc(TUESDAY, 10, 30), _utc(TUESDAY, 11))
    await _raw_insert(db, shop, _utc(TUESDAY, 10), _utc(TUESDAY, 10, 30), staff_id=shop.alex)

    rows = await _rows(db, "SELECT staff_id FROM appointments WHERE status = 'booked'")
    assert sorted(r[0] for r in rows) == sorted([shop.sam, shop.sam, shop.alex])


async def test_database_guard_agrees_with_a_brute_force_overlap_check(db, shop):
    """200 random plain-SQL inserts and status changes (booked and cancelled, short and long,
    for two staff members) on one day: the database accepts exactly those that overlap no booked
    appointment of the same staff member, as a brute-force check over every stored row says."""
    import random

    chooser = random.Random(20261201)
    day_start = _utc(TUESDAY, 8)
    stored: list[tuple[int, datetime, datetime, str]] = []  # staff, start, end, status
    for _ in range(200):
        staff_id = chooser.choice([shop.sam, shop.alex])
        starts = day_start + timedelta(minutes=5 * chooser.randrange(0, 120))
        ends = starts + timedelta(minutes=5 * chooser.choice([1, 3, 6, 12, 24, 48]))
        status = chooser.choice(["booked", "booked", "booked", "cancelled"])
        clash = status == "booked" and any(
            other_staff == staff_id and other_status == "booked" and s < ends and starts < e
            for other_staff, s, e, other_status in stored
        )
        if clash:
            with pytest.raises(IntegrityError) as refused:
                await _raw_insert(db, shop, starts, ends, staff_id=staff_id, status=status)
            assert is_overlap(refused.value)
        else:
            await _raw_insert(db, shop, starts, ends, staff_id=staff_id, status=status)
            stored.append((staff_id, starts, ends, status))
    assert await _scalar(db, "SELECT count(*) FROM appointments") == len(stored)
    assert sum(1 for row in stored if row[3] == "booked") > 20


async def test_database_refuses_an_update_moving_one_appointment_into_another(db, shop):
    """A plain SQL UPDATE moving one booked appointment over another is refused, and so is
    re-booking a cancelled one whose time is now taken; the rows keep their values."""
    first = await _book(db, shop, time(10))
    second = await _book(db, shop, time(11))
    stale = await _book(db, shop, time(14))
    await appointments.cancel(db, shop.business_id, stale.id, now=NOW)
    await _book(db, shop, time(14))

    with pytest.raises(IntegrityError) as moved:
        async with db.write() as session:
            await session.execute(
                text(
                    "UPDATE appointments SET starts_at = :s, ends_at = :e, blocked_until = :e "
                    "WHERE id = :id"
                ),
                {
                    "s": _instant(db, _utc(TUESDAY, 10, 15)),
                    "e": _instant(db, _utc(TUESDAY, 10, 45)),
                    "id": second.id,
                },
            )
    assert is_overlap(moved.value)
    with pytest.raises(IntegrityError) as revived:
        async with db.write() as session:
            await session.execute(
                text("UPDATE appointments SET status = 'booked' WHERE id = :id"), {"id": stale.id}
            )
    assert is_overlap(revived.value)

    after = await appointments.get_appointment(db, shop.business_id, second.id)
    assert after.starts_at == second.starts_at
    assert (
        await appointments.get_appointment(db, shop.business_id, stale.id)
    ).status == "cancelled"
    assert (await appointments.get_appointment(db, shop.business_id, first.id)).status == "booked"


async def test_cancelled_appointments_do_not_block(db, shop):
    """A cancelled appointment blocks nothing: a plain SQL row inserted as cancelled over a booked
    one is accepted, and after cancelling through the service the same time can be booked."""
    booked = await _book(db, shop, time(10))
    await _raw_insert(db, shop, _utc(TUESDAY, 10), _utc(TUESDAY, 10, 30), status="cancelled")

    await appointments.cancel(db, shop.business_id, booked.id, now=NOW)
    again = await _book(db, shop, time(10))

    rows = await _rows(db, "SELECT status FROM appointments ORDER BY id")
    assert [r[0] for r in rows] == ["cancelled", "cancelled", "booked"]
    assert again.id != booked.id


async def test_database_guard_maps_to_slot_unavailable_for_book_and_move(db, shop, monkeypatch):
    """With the Python free-time check switched off, an overlapping booking and a move into a
    taken time are still refused by the database, reported as SlotUnavailable, nothing stored."""
    first = await _book(db, shop, time(10))
    second = await _book(db, shop, time(11))
    monkeypatch.setattr(StaffSchedule, "is_free", lambda self, start, end, ignore=None: True)

    with pytest.raises(SlotUnavailable):
        await _book(db, shop, time(10, 15))
    with pytest.raises(SlotUnavailable):
        await appointments.move(
            db, shop.business_id, second.id, local_date=TUESDAY, local_time=time(10), now=NOW
        )

    assert await _scalar(db, "SELECT count(*) FROM appointments") == 2
    after = await appointments.get_appointment(db, shop.business_id, second.id)
    assert after.starts_at == second.starts_at
    assert first.starts_at == _utc(TUESDAY, 10)


# --- moving -----------------------------------------------------------------------------------


async def test_move_to_a_free_time_frees_the_old_one(db, shop):
    """Moving 10:00 to 14:00 stores the new time; 10:00 can then be booked by someone else."""
    booked = await _book(db, shop, time(10))

    moved = await appointments.move(
        db, shop.business_id, booked.id, local_date=TUESDAY, local_time=time(14), now=NOW
    )
    other = await _book(db, shop, time(10))

    assert moved.id == booked.id
    assert moved.local_time == time(14)
    assert moved.starts_at == _utc(TUESDAY, 14)
    assert other.starts_at == _utc(TUESDAY, 10)
    assert await _scalar(db, "SELECT count(*) FROM appointments WHERE status = 'booked'") == 2


async def test_move_may_overlap_its_own_old_time_or_change_staff(db, shop):
    """Moving a 10:00 haircut by 15 minutes works (it does not collide with itself), and a move
    naming Alex puts it with Alex."""
    booked = await _book(db, shop, time(10), service_id=shop.haircut)

    moved = await appointments.move(
        db, shop.business_id, booked.id, local_date=TUESDAY, local_time=time(10, 15), now=NOW
    )
    assert (moved.starts_at, moved.ends_at) == (_utc(TUESDAY, 10, 15), _utc(TUESDAY, 10, 45))
    stored = await appointments.get_appointment(db, shop.business_id, booked.id)
    assert stored.starts_at == _utc(TUESDAY, 10, 15)

    with_alex = await appointments.move(
        db,
        shop.business_id,
        booked.id,
        local_date=TUESDAY,
        local_time=time(10),
        staff_id=shop.alex,
        now=NOW,
    )
    assert with_alex.staff_id == shop.alex
    staff = await _scalar(db, "SELECT staff_id FROM appointments WHERE id = :id", id=booked.id)
    assert staff == shop.alex


async def test_move_to_a_taken_time_keeps_the_original(db, shop):
    """Moving into another booking's time raises SlotUnavailable and the appointment keeps its
    original time: never neither, never both."""
    first = await _book(db, shop, time(10))
    await _book(db, shop, time(11))

    with pytest.raises(SlotUnavailable):
        await appointments.move(
            db, shop.business_id, first.id, local_date=TUESDAY, local_time=time(11), now=NOW
        )

    after = await appointments.get_appointment(db, shop.business_id, first.id)
    assert after.starts_at == first.starts_at
    assert after.status == "booked"
    assert await _scalar(db, "SELECT count(*) FROM appointments WHERE status = 'booked'") == 2


async def test_move_of_someone_elses_or_cancelled_appointment_is_refused(db, shop):
    """A move naming another customer is NotFound and a cancelled appointment cannot be moved
    (Conflict); neither changes anything."""
    bob = await customers.create_customer(db, shop.business_id, phone="+14155552671", name="Bob")
    booked = await _book(db, shop, time(10))
    cancelled = await _book(db, shop, time(11))
    await appointments.cancel(db, shop.business_id, cancelled.id, now=NOW)

    with pytest.raises(NotFound):
        await appointments.move(
            db,
            shop.business_id,
            booked.id,
            local_date=TUESDAY,
            local_time=time(14),
            customer_id=bob.id,
            now=NOW,
        )
    with pytest.raises(Conflict):
        await appointments.move(
            db, shop.business_id, cancelled.id, local_date=TUESDAY, local_time=time(15), now=NOW
        )

    for original in (booked, cancelled):
        stored = await appointments.get_appointment(db, shop.business_id, original.id)
        assert stored.starts_at == original.starts_at
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 2


# --- cancelling --------------------------------------------------------------------------------


async def test_cancel_respects_the_cutoff_when_enforced(db, shop):
    """Monday 11:00 with a 2-hour cut-off: a caller may not cancel at 09:01 nor after it started
    (TooLateToCancel, still booked), but may at exactly 09:00; an admin (no enforcement) may
    cancel at 09:01."""
    booked = await _book(db, shop, time(11), day=MONDAY)
    other = await _book(db, shop, time(11, 30), day=MONDAY)

    for late in (_utc(MONDAY, 9, 1), _utc(MONDAY, 11, 5)):
        with pytest.raises(TooLateToCancel):
            await appointments.cancel(
                db, shop.business_id, booked.id, enforce_cutoff=True, now=late
            )
    assert (await appointments.get_appointment(db, shop.business_id, booked.id)).status == "booked"

    on_time = await appointments.cancel(
        db, shop.business_id, booked.id, enforce_cutoff=True, now=_utc(MONDAY, 9)
    )
    by_admin = await appointments.cancel(db, shop.business_id, other.id, now=_utc(MONDAY, 9, 1))

    assert (on_time.status, by_admin.status) == ("cancelled", "cancelled")
    assert await _scalar(db, "SELECT count(*) FROM appointments WHERE status = 'booked'") == 0


async def test_cancelling_twice_is_a_conflict(db, shop):
    """The second cancellation of one appointment raises Conflict."""
    booked = await _book(db, shop, time(10))
    await appointments.cancel(db, shop.business_id, booked.id, now=NOW)

    with pytest.raises(Conflict) as again:
        await appointments.cancel(db, shop.business_id, booked.id, now=NOW)

    assert "already cancelled" in again.value.message


async def test_cancelling_someone_elses_appointment_is_not_found(db, shop):
    """A cancellation naming another customer is NotFound and the appointment stays booked;
    an unknown id and another business's id are NotFound too."""
    bob = await customers.create_customer(db, shop.business_id, phone="+14155552671", name="Bob")
    booked = await _book(db, shop, time(10))

    with pytest.raises(NotFound):
        await appointments.cancel(db, shop.business_id, booked.id, customer_id=bob.id, now=NOW)
    with pytest.raises(NotFound):
        await appointments.cancel(db, shop.business_id, 999_999, now=NOW)
    with pytest.raises(NotFound):
        await appointments.cancel(db, shop.business_id + 1, booked.id, now=NOW)

    status = await _scalar(db, "SELECT status FROM appointments WHERE id = :id", id=booked.id)
    assert status == "booked"


# --- listing ----------------------------------------------------------------------------------


async def test_list_upcoming_returns_the_customers_future_booked_ones_in_order(db, shop):
    """Only the customer's booked appointments that have not started, soonest first: not past
    ones, not cancelled ones, not other customers'. An unknown customer is NotFound."""
    bob = await customers.create_customer(db, shop.business_id, phone="+14155552671", name="Bob")
    wednesday = await _book(db, shop, time(9), day=TUESDAY + timedelta(days=1))
    await _book(db, shop, time(11), day=MONDAY)  # past by the time we list
    tuesday = await _book(db, shop, time(10))
    thursday = await _book(db, shop, time(10), day=TUESDAY + timedelta(days=2))
    await appointments.cancel(db, shop.business_id, thursday.id, now=NOW)
    await _book(db, shop, time(11), customer_id=bob.id)

    upcoming = await appointments.list_upcoming(
        db, shop.business_id, shop.ada, now=_utc(MONDAY, 12)
    )

    assert [a.id for a in upcoming] == [tuesday.id, wednesday.id]
    assert [a.local_time for a in upcoming] == [time(10), time(9)]
    with pytest.raises(NotFound):
        await appointments.list_upcoming(db, shop.business_id, 999_999, now=NOW)


# --- idempotency ------------------------------------------------------------------------------


async def test_retry_with_the_same_key_replays_the_first_booking(db, shop):
    """A repeat of one request with the same key returns the same appointment and stores one;
    another key is another booking."""
    request = _request(shop, time(10))

    first = await appointments.book(db, request, idempotency_key="k", now=NOW)
    again = await appointments.book(db, request, idempotency_key="k", now=NOW)

    assert again.id == first.id
    assert again.starts_at == first.starts_at
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 1
    assert await _scalar(db, "SELECT count(*) FROM idempotency_records") == 1

    await appointments.book(db, _request(shop, time(14)), idempotency_key="other", now=NOW)
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 2


async def test_same_key_with_a_different_request_is_refused(db, shop):
    """The same key with a different request raises IdempotencyConflict and books nothing new."""
    await appointments.book(db, _request(shop, time(10)), idempotency_key="k", now=NOW)

    with pytest.raises(IdempotencyConflict):
        await appointments.book(db, _request(shop, time(14)), idempotency_key="k", now=NOW)

    assert await _scalar(db, "SELECT count(*) FROM appointments") == 1


async def test_failed_booking_stores_no_key_so_a_retry_can_succeed(db, shop):
    """A keyed booking refused because the time is taken leaves no key record; once the time is
    free again the same key books it."""
    blocker = await _book(db, shop, time(10))
    request = _request(shop, time(10))

    with pytest.raises(SlotUnavailable):
        await appointments.book(db, request, idempotency_key="k", now=NOW)
    assert await _scalar(db, "SELECT count(*) FROM idempotency_records") == 0

    await appointments.cancel(db, shop.business_id, blocker.id, now=NOW)
    booked = await appointments.book(db, request, idempotency_key="k", now=NOW)

    resource = await _scalar(db, "SELECT resource_id FROM idempotency_records WHERE key = 'k'")
    assert resource == booked.id


def test_a_request_fingerprint_is_stable_across_versions():
    """The fingerprint of a request is what earlier versions stored, so a key used before an
    upgrade still replays after it (the value was computed by the first implementation)."""
    request = BookingRequest(
        business_id=1,
        customer_id=2,
        local_date=date(2027, 3, 14),
        local_time=time(9, 30),
        staff_id=3,
        duration_minutes=45,
        source=AppointmentSource.PHONE,
        call_id=7,
        notes="window seat",
    )
    assert request.fingerprint() == (
        "909fdd433f250c3b1126b6f87b2d5c84502480b146548f75e02ad23af721b671"
    )
    assert replace(request, call_id=8).fingerprint() == request.fingerprint()
    assert replace(request, notes="aisle").fingerprint() != request.fingerprint()


async def test_malformed_idempotency_key_is_invalid_input(db, shop):
    """An empty, over-long or unprintable key is InvalidInput naming Idempotency-Key."""
    for key in ["", "x" * 256, "line\nbreak"]:
        with pytest.raises(InvalidInput) as refused:
            await appointments.book(db, _request(shop, time(10)), idempotency_key=key, now=NOW)
        assert refused.value.field == "Idempotency-Key"

    assert await _scalar(db, "SELECT count(*) FROM appointments") == 0
