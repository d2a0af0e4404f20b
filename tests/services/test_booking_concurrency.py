"""No double booking under concurrency, on SQLite and PostgreSQL.

Every request runs as its own task with its own session (`asyncio.gather`), the way concurrent
HTTP requests and calls reach the services. Outcomes are checked in the database with SQL.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from booking.db import Database
from booking.errors import Conflict, IdempotencyConflict, SlotUnavailable
from booking.services import appointments
from booking.services.appointments import AppointmentInfo, BookingRequest
from booking.services.schedule import StaffSchedule
from tests.conftest import NOW
from tests.factories import Shop

TUESDAY = date(2026, 12, 1)  # Sam works 09-12 and 13-17, Alex 10-13 and 13:30-18
WRITERS = 30


def _request(
    shop: Shop,
    at: time,
    *,
    staff_id: int | None = None,
    minutes: int | None = 30,
    service_id: int | None = None,
    customer_id: int | None = None,
    day: date = TUESDAY,
    notes: str = "",
) -> BookingRequest:
    return BookingRequest(
        business_id=shop.business_id,
        customer_id=customer_id or shop.ada,
        staff_id=staff_id,
        service_id=service_id,
        duration_minutes=None if service_id else minutes,
        local_date=day,
        local_time=at,
        notes=notes,
    )


async def _scalar(db: Database, sql: str, **params: object) -> int:
    async with db.read() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


async def _booked_count(db: Database, staff_id: int | None = None) -> int:
    if staff_id is None:
        return await _scalar(db, "SELECT count(*) FROM appointments WHERE status = 'booked'")
    return await _scalar(
        db,
        "SELECT count(*) FROM appointments WHERE status = 'booked' AND staff_id = :staff",
        staff=staff_id,
    )


def _split(results: Sequence[object]) -> tuple[list[AppointmentInfo], list[BaseException]]:
    booked = [r for r in results if isinstance(r, AppointmentInfo)]
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(booked) + len(failed) == len(results)
    return booked, failed


def _assert_all_slot_unavailable(failed: Sequence[BaseException]) -> None:
    """Every loser is a clean SlotUnavailable: no Unavailable, no 'database is locked', no raw
    IntegrityError."""
    unexpected = [f"{type(e).__name__}: {e}" for e in failed if type(e) is not SlotUnavailable]
    assert unexpected == []


async def _book_all(db: Database, requests: Sequence[BookingRequest]) -> list[object]:
    return await asyncio.gather(
        *(appointments.book(db, r, now=NOW) for r in requests), return_exceptions=True
    )


async def test_thirty_concurrent_bookings_of_one_time_store_exactly_one(db, shop):
    """30 simultaneous bookings of Tuesday 10:00 with Sam: one is stored, 29 get SlotUnavailable."""
    requests = [_request(shop, time(10), staff_id=shop.sam, notes=str(i)) for i in range(WRITERS)]

    booked, failed = _split(await _book_all(db, requests))

    assert len(booked) == 1
    assert len(failed) == WRITERS - 1
    _assert_all_slot_unavailable(failed)
    assert await _booked_count(db) == 1
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 1
    stored_id = await _scalar(db, "SELECT id FROM appointments")
    assert stored_id == booked[0].id


async def test_thirty_concurrent_overlapping_starts_store_exactly_one(db, shop):
    """30 one-hour bookings starting 10:00, 10:02, ... 10:58 all overlap each other: one is
    stored, the other 29 get SlotUnavailable."""
    requests = [
        _request(shop, time(10, 2 * i), staff_id=shop.sam, minutes=60) for i in range(WRITERS)
    ]

    booked, failed = _split(await _book_all(db, requests))

    assert len(booked) == 1
    _assert_all_slot_unavailable(failed)
    assert await _booked_count(db) == 1
    row = await _scalar(db, "SELECT count(*) FROM appointments WHERE id = :id", id=booked[0].id)
    assert row == 1


async def test_concurrent_bookings_for_different_staff_do_not_block_each_other(db, shop):
    """Ten bookings of Tuesday 11:00 for Sam and ten for Alex at once: one of each is stored."""
    requests = [
        _request(shop, time(11), staff_id=shop.sam if i % 2 else shop.alex) for i in range(20)
    ]

    booked, failed = _split(await _book_all(db, requests))

    assert sorted(b.staff_id for b in booked) == sorted([shop.sam, shop.alex])
    _assert_all_slot_unavailable(failed)
    assert await _booked_count(db, shop.sam) == 1
    assert await _booked_count(db, shop.alex) == 1


async def test_concurrent_bookings_with_anyone_fill_each_staff_member_once(db, shop):
    """Twenty haircuts at Tuesday 11:00 with no staff named: Sam and Alex both cut hair, so
    exactly two are stored, one with each; the rest get SlotUnavailable."""
    requests = [_request(shop, time(11), service_id=shop.haircut) for _ in range(20)]

    booked, failed = _split(await _book_all(db, requests))

    assert sorted(b.staff_id for b in booked) == sorted([shop.sam, shop.alex])
    _assert_all_slot_unavailable(failed)
    assert await _booked_count(db) == 2


@dataclass(frozen=True)
class _Ask:
    staff_id: int
    start: time
    minutes: int
    service_id: int | None

    def blocked(self, shop: Shop) -> tuple[datetime, datetime]:
        start = datetime.combine(TUESDAY, self.start)
        buffer = 10 if self.service_id == shop.haircut else 0
        return start, start + timedelta(minutes=self.minutes + buffer)


def _random_asks(shop: Shop, seed: int) -> list[_Ask]:
    rng = random.Random(seed)
    asks = []
    for _ in range(WRITERS):
        staff_id, first_hour = rng.choice([(shop.sam, 9), (shop.alex, 10)])
        start = time(first_hour + rng.randrange(2), rng.randrange(0, 60, 5))
        if rng.random() < 0.3:
            asks.append(_Ask(staff_id, start, 30, shop.haircut))
        else:
            asks.append(_Ask(staff_id, start, rng.choice([15, 30, 45, 60]), None))
    return asks


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


async def test_concurrent_random_bookings_never_overlap_and_refusals_are_justified(db, shop):
    """30 concurrent bookings at random overlapping times for two staff members: no two stored
    appointments of one staff member overlap (counting the buffer), and each refused request
    overlaps a stored one, so nothing was refused without reason."""
    asks = _random_asks(shop, seed=1)
    requests = [
        _request(
            shop,
            ask.start,
            staff_id=ask.staff_id,
            minutes=ask.minutes,
            service_id=ask.service_id,
            notes=str(i),
        )
        for i, ask in enumerate(asks)
    ]

    results = await _book_all(db, requests)

    async with db.read() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT staff_id, notes FROM appointments WHERE status = 'booked' "
                    "ORDER BY staff_id, starts_at"
                )
            )
        ).all()
    stored = {int(notes): staff_id for staff_id, notes in rows}
    succeeded = {i for i, r in enumerate(results) if isinstance(r, AppointmentInfo)}
    assert set(stored) == succeeded
    _assert_all_slot_unavailable([r for r in results if isinstance(r, BaseException)])
    for i in stored:
        for j in stored:
            if i < j and asks[i].staff_id == asks[j].staff_id:
                assert not _overlap(asks[i].blocked(shop), asks[j].blocked(shop)), (i, j)
    for i, ask in enumerate(asks):
        if i not in stored:
            assert any(
                asks[j].staff_id == ask.staff_id
                and _overlap(ask.blocked(shop), asks[j].blocked(shop))
                for j in stored
            ), i


async def test_concurrent_moves_into_one_free_time_let_exactly_one_win(db, shop):
    """Two appointments moved at once into the same free time: one moves, the other gets
    SlotUnavailable and keeps its original time."""
    first = await appointments.book(db, _request(shop, time(9), staff_id=shop.sam), now=NOW)
    second = await appointments.book(db, _request(shop, time(10), staff_id=shop.sam), now=NOW)

    results = await asyncio.gather(
        *(
            appointments.move(
                db, shop.business_id, a.id, local_date=TUESDAY, local_time=time(11), now=NOW
            )
            for a in (first, second)
        ),
        return_exceptions=True,
    )

    moved, failed = _split(results)
    assert len(moved) == 1
    _assert_all_slot_unavailable(failed)
    loser = second if moved[0].id == first.id else first
    after = await appointments.get_appointment(db, shop.business_id, loser.id)
    assert after.starts_at == loser.starts_at
    assert await _booked_count(db) == 2
    at_eleven = await _scalar(
        db,
        "SELECT count(*) FROM appointments WHERE starts_at = :at",
        at=_bind_instant(db, moved[0].starts_at),
    )
    assert at_eleven == 1


async def test_concurrent_cancels_of_one_appointment_succeed_once(db, shop):
    """Ten cancellations of one appointment at once: one succeeds, nine get Conflict ('already
    cancelled'), whatever the database."""
    booked = await appointments.book(db, _request(shop, time(10), staff_id=shop.sam), now=NOW)

    results = await asyncio.gather(
        *(appointments.cancel(db, shop.business_id, booked.id, now=NOW) for _ in range(10)),
        return_exceptions=True,
    )

    cancelled, failed = _split(results)
    assert len(cancelled) == 1
    assert [type(e) for e in failed] == [Conflict] * 9
    assert await _booked_count(db) == 0


async def test_cancel_racing_a_move_never_reports_a_move_of_a_cancelled_appointment(db, shop):
    """A cancellation and a move of one appointment at once: if the move reports success, the
    appointment is still booked at the new time; otherwise it is cancelled at its old time."""
    booked = await appointments.book(db, _request(shop, time(9), staff_id=shop.sam), now=NOW)

    move, cancel = await asyncio.gather(
        appointments.move(
            db, shop.business_id, booked.id, local_date=TUESDAY, local_time=time(11), now=NOW
        ),
        appointments.cancel(db, shop.business_id, booked.id, now=NOW),
        return_exceptions=True,
    )

    after = await appointments.get_appointment(db, shop.business_id, booked.id)
    if isinstance(move, AppointmentInfo):
        # The move came first, so the cancellation saw (and cancelled) the moved appointment.
        assert isinstance(cancel, AppointmentInfo)
        assert cancel.starts_at == move.starts_at
        assert after.starts_at == move.starts_at
        assert after.status == "cancelled"
    else:
        assert type(move) is Conflict
        assert isinstance(cancel, AppointmentInfo)
        assert after.starts_at == booked.starts_at
        assert after.status == "cancelled"


async def test_concurrent_repeats_under_one_idempotency_key_book_once(db, shop):
    """Ten identical requests with one Idempotency-Key at once: one appointment and one key
    record are stored, and all ten answers carry its id (the repeats wait, then replay)."""
    request = _request(shop, time(10), staff_id=shop.sam)

    results = await asyncio.gather(
        *(appointments.book(db, request, idempotency_key="k", now=NOW) for _ in range(10)),
        return_exceptions=True,
    )

    booked, failed = _split(results)
    assert [f"{type(e).__name__}: {e}" for e in failed] == []
    assert len({b.id for b in booked}) == 1
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 1
    assert await _scalar(db, "SELECT count(*) FROM idempotency_records") == 1
    resource = await _scalar(db, "SELECT resource_id FROM idempotency_records WHERE key = 'k'")
    assert resource == booked[0].id


async def test_concurrent_different_requests_under_one_key_book_once(db, shop):
    """Two different requests with the same key at once: one books, the other is refused with
    IdempotencyConflict; one appointment is stored."""
    results = await asyncio.gather(
        appointments.book(
            db, _request(shop, time(10), staff_id=shop.sam), idempotency_key="k", now=NOW
        ),
        appointments.book(
            db, _request(shop, time(14), staff_id=shop.sam), idempotency_key="k", now=NOW
        ),
        return_exceptions=True,
    )

    booked, failed = _split(results)
    assert len(booked) == 1
    assert [type(e) for e in failed] == [IdempotencyConflict]
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 1


async def test_concurrent_keyed_bookings_of_a_taken_time_store_no_key(db, shop):
    """Keyed requests for a time that another booking holds all get SlotUnavailable, and no key
    record survives, so each key can be retried later."""
    await appointments.book(db, _request(shop, time(10), staff_id=shop.sam), now=NOW)

    results = await asyncio.gather(
        *(
            appointments.book(
                db, _request(shop, time(10), staff_id=shop.sam), idempotency_key=f"k{i}", now=NOW
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )

    booked, failed = _split(results)
    assert booked == []
    _assert_all_slot_unavailable(failed)
    assert await _scalar(db, "SELECT count(*) FROM idempotency_records") == 0
    assert await _scalar(db, "SELECT count(*) FROM appointments") == 1


def _bind_instant(db: Database, instant: datetime) -> object:
    """An instant as a raw SQL parameter: SQLite stores naive UTC text, PostgreSQL timestamptz."""
    if db.is_sqlite:
        return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return instant


async def test_two_engines_on_one_database_still_book_once(db, shop):
    """Two independent engines on one database (as two `booking serve` processes would have),
    15 bookings of one time through each at once: one is stored, the rest get SlotUnavailable."""
    url = db.engine.url.render_as_string(hide_password=False)
    other = Database.from_url(url, pool_size=10)
    try:
        requests = [_request(shop, time(10), staff_id=shop.sam) for _ in range(WRITERS)]
        results = await asyncio.gather(
            *(
                appointments.book(db if i % 2 else other, r, now=NOW)
                for i, r in enumerate(requests)
            ),
            return_exceptions=True,
        )
    finally:
        await other.dispose()

    booked, failed = _split(results)
    assert len(booked) == 1
    _assert_all_slot_unavailable(failed)
    assert await _booked_count(db) == 1


async def test_database_guard_alone_refuses_concurrent_overlaps(db, shop, monkeypatch):
    """With the Python free-time check switched off, 30 concurrent overlapping bookings still
    store exactly one: the database constraint refuses the rest, reported as SlotUnavailable."""
    monkeypatch.setattr(StaffSchedule, "is_free", lambda self, start, end, ignore=None: True)
    requests = [
        _request(shop, time(10, 2 * i), staff_id=shop.sam, minutes=60) for i in range(WRITERS)
    ]

    booked, failed = _split(await _book_all(db, requests))

    assert len(booked) == 1
    _assert_all_slot_unavailable(failed)
    assert await _booked_count(db) == 1
