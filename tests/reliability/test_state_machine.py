"""A hypothesis state machine over book / move / cancel / change weekly hours / day off and special
hours, on a real database: after every step nothing overlaps, the database holds exactly the
appointments the machine believes are booked, and availability agrees with what booking accepts.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from booking.db import Database
from booking.errors import InvalidInput, SlotUnavailable
from booking.services import appointments, availability, staff
from booking.services.appointments import AppointmentInfo, BookingRequest
from booking.services.stranding import OnStranded
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.reliability.checks import OVERLAP_SQL, utc

NOTICE = timedelta(minutes=120)  # with NOW at 08:00, Monday's first hour (9 to 10) is too soon
HORIZON = timedelta(days=60)  # tests.factories
MONDAY = date(2026, 11, 30)  # NOW is 08:00 that day in New York: its early times are refused
LAST_DAY = date(2027, 1, 29)  # beyond the horizon from 08:00
TUESDAY = date(2026, 12, 1)  # most steps land here, so bookings crowd each other and the buffers
# ... then a Wednesday, a Saturday (Alex only), a Sunday (nobody), and the last two days of the
# 60-day horizon (the 29th lies beyond it once working hours start).
LATER = [
    date(2026, 12, 2),
    date(2026, 12, 5),
    date(2026, 12, 6),
    date(2027, 1, 28),
    LAST_DAY,
]
DAYS = st.sampled_from([MONDAY, TUESDAY, TUESDAY, TUESDAY, TUESDAY, *LATER])
ZONE = ZoneInfo("America/New_York")  # the salon's (tests.factories)
QUARTERS = [time(h, m) for h in range(7, 20) for m in (0, 15, 30, 45)]
STAFF = st.sampled_from(["sam", "alex"])
WHO = st.sampled_from(["sam", "alex", None])  # None: anyone who performs the service
# A booking's length: a plain duration or a service (haircut and colour have a buffer after).
KINDS = st.sampled_from([15, 30, 60, "haircut", "trim", "colour"])


@st.composite
def intervals(draw: st.DrawFn, most: int) -> list[tuple[time, time]]:
    """Up to `most` sorted, non-overlapping working intervals on the quarter-hour grid."""
    bounds = sorted(draw(st.sets(st.sampled_from(QUARTERS), max_size=2 * most)))
    if len(bounds) % 2:
        bounds.pop()
    return [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]


REFUSALS = (SlotUnavailable, InvalidInput)  # InvalidInput covers OutsideHours


class BookingMachine(RuleBasedStateMachine):
    """One salon, reset before each example; `booked` is what the machine believes is stored.

    The database, its event loop and the salon are made once per test (class attributes set by
    the test): a fresh salon per example would cost more than the example itself.
    """

    runner: asyncio.Runner
    db: Database
    shop: Shop
    hours: dict[int, dict[int, Any]]  # staff id -> the salon's weekly hours, restored each time

    def __init__(self) -> None:
        super().__init__()
        self.run(self._reset())
        self.booked: dict[int, tuple[int, datetime, datetime]] = {}
        self.weekly = {member: dict(hours) for member, hours in self.hours.items()}

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    async def _reset(self) -> None:
        async with self.db.write() as session:
            await session.execute(text("DELETE FROM appointments"))
            await session.execute(text("DELETE FROM date_overrides"))
        for staff_id, weekly in self.hours.items():
            await staff.set_weekly_hours(self.db, self.shop.business_id, staff_id, weekly)

    # --- helpers -------------------------------------------------------------------------------

    def _staff(self, who: str | None) -> int | None:
        return {"sam": self.shop.sam, "alex": self.shop.alex, None: None}[who]

    def _length(self, kind: int | str) -> dict[str, int | None]:
        if isinstance(kind, int):
            return {"service_id": None, "duration_minutes": kind}
        service = {"haircut": self.shop.haircut, "trim": self.shop.trim, "colour": self.shop.colour}
        return {"service_id": service[kind], "duration_minutes": None}

    def _offered(self, who: str | None, day: date, kind: int | str) -> list[availability.Slot]:
        return self.run(
            availability.find_slots(
                self.db,
                self.shop.business_id,
                start_date=day,
                staff_id=self._staff(who),
                now=NOW,
                **self._length(kind),
            )
        )

    def _book(self, staff_id: int | None, day: date, at: time, kind: int | str) -> AppointmentInfo:
        request = BookingRequest(
            business_id=self.shop.business_id,
            customer_id=self.shop.ada,
            staff_id=staff_id,
            local_date=day,
            local_time=at,
            **self._length(kind),  # type: ignore[arg-type]
        )
        return self.run(appointments.book(self.db, request, now=NOW))

    def _keep(self, info: AppointmentInfo, buffer: timedelta) -> None:
        self.booked[info.id] = (info.staff_id, info.starts_at, info.ends_at + buffer)

    def _buffer(self, kind: int | str) -> timedelta:
        return timedelta(minutes={"haircut": 10, "colour": 15}.get(str(kind), 0))

    # --- rules ---------------------------------------------------------------------------------

    @rule(who=WHO, day=DAYS, at=st.sampled_from(QUARTERS), kind=KINDS)
    def book_any_time(self, who: str | None, day: date, at: time, kind: int | str) -> None:
        """Booking a quarter hour succeeds exactly when availability offers it."""
        try:
            offered = {s.staff_id for s in self._offered(who, day, kind) if s.local_time == at}
        except InvalidInput:  # e.g. Sam does not do colour: booking must refuse it too
            offered = set()
        try:
            info = self._book(self._staff(who), day, at, kind)
        except REFUSALS as refusal:
            assert not offered, f"offered {day} {at} with {offered}, then refused: {refusal!r}"
            return
        assert info.staff_id in offered, f"booked {day} {at} with {info.staff_id}, not offered"
        self._keep(info, self._buffer(kind))

    @rule(data=st.data(), who=STAFF, day=DAYS, kind=KINDS)
    def book_an_offered_slot(self, data: st.DataObject, who: str, day: date, kind: Any) -> None:
        """Any slot availability offers for a staff member books, with exactly its times."""
        try:
            offered = self._offered(who, day, kind)
        except InvalidInput:
            return
        if not offered:
            return
        slot = data.draw(st.sampled_from(offered), label="slot")
        info = self._book(slot.staff_id, slot.local_date, slot.local_time, kind)
        assert (info.staff_id, info.starts_at, info.ends_at) == (
            slot.staff_id,
            slot.starts_at,
            slot.ends_at,
        )
        self._keep(info, self._buffer(kind))

    @rule(data=st.data(), day=DAYS, kind=KINDS)
    def book_an_offered_slot_with_anyone(self, data: st.DataObject, day: date, kind: Any) -> None:
        """A time offered with "anyone" books with one of the staff members offered at it."""
        offered = self._offered(None, day, kind)
        if not offered:
            return
        slot = data.draw(st.sampled_from(offered), label="slot")
        info = self._book(None, slot.local_date, slot.local_time, kind)
        assert info.starts_at == slot.starts_at
        assert info.staff_id in {s.staff_id for s in offered if s.starts_at == slot.starts_at}
        self._keep(info, self._buffer(kind))

    @rule(data=st.data(), kind=KINDS)
    def every_offered_slot_is_free_and_in_the_window(self, data: st.DataObject, kind: Any) -> None:
        """On a day with bookings, or the first or last bookable day, no slot offered with anyone
        overlaps (buffer included) a booked appointment of its staff member, starts within the
        minimum notice, or lies beyond the horizon."""
        days = {starts_at.astimezone(ZONE).date() for _, starts_at, _ in self.booked.values()}
        day = data.draw(st.sampled_from(sorted(days | {MONDAY, LAST_DAY})), label="day")
        buffer = self._buffer(kind)
        for slot in self._offered(None, day, kind):
            assert NOW + NOTICE <= slot.starts_at <= NOW + HORIZON, slot
            for appointment_id, (staff_id, starts_at, blocked_until) in self.booked.items():
                clash = starts_at < slot.ends_at + buffer and slot.starts_at < blocked_until
                assert not (staff_id == slot.staff_id and clash), (slot, appointment_id)

    @precondition(lambda self: self.booked)
    @rule(data=st.data(), who=WHO, day=DAYS, at=st.sampled_from(QUARTERS))
    def move(self, data: st.DataObject, who: str | None, day: date, at: time) -> None:
        target = data.draw(st.sampled_from(sorted(self.booked)), label="appointment")
        try:
            info = self.run(
                appointments.move(
                    self.db,
                    self.shop.business_id,
                    target,
                    local_date=day,
                    local_time=at,
                    staff_id=self._staff(who),
                    now=NOW,
                )
            )
        except REFUSALS:
            return  # the invariant checks that it stayed where it was
        _, starts_at, blocked_until = self.booked[target]
        self._keep(info, blocked_until - starts_at - (info.ends_at - info.starts_at))

    @precondition(lambda self: len(self.booked) > 1)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(sorted(self.booked)), label="appointment")
        info = self.run(appointments.cancel(self.db, self.shop.business_id, target, now=NOW))
        assert info.status == "cancelled"
        del self.booked[target]

    @rule(who=STAFF, weekday=st.integers(0, 6), hours=intervals(2))
    def change_weekly_hours(self, who: str, weekday: int, hours: list[tuple[time, time]]) -> None:
        """Set one weekday's hours (none: not working that weekday), keeping the others; the
        bookings it strands are kept (flagged), so the book stays as the model knows it."""
        weekly = self.weekly[self._staff(who)]
        weekly[weekday] = hours
        self.run(
            staff.set_weekly_hours(
                self.db, self.shop.business_id, self._staff(who), weekly,
                on_affected=OnStranded.KEEP, now=NOW,
            )
        )  # fmt: skip

    @rule(who=STAFF, day=DAYS, hours=intervals(2))
    def day_off_or_special_hours(self, who: str, day: date, hours: list[tuple[time, time]]):
        self.run(
            staff.add_override(
                self.db, self.shop.business_id, self._staff(who), day, hours,
                on_affected=OnStranded.KEEP, now=NOW,
            )
        )  # fmt: skip

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def nothing_overlaps_and_the_database_holds_what_was_booked(self) -> None:
        overlaps, stored = self.run(self._stored())
        assert overlaps == []
        assert stored == self.booked

    async def _stored(self) -> tuple[list[Any], dict[int, tuple[int, datetime, datetime]]]:
        async with self.db.read() as session:
            overlaps = (await session.execute(text(OVERLAP_SQL))).all()
            rows = await session.execute(
                text(
                    "SELECT id, staff_id, starts_at, blocked_until FROM appointments "
                    "WHERE status = 'booked'"
                )
            )
            return overlaps, {int(r[0]): (int(r[1]), utc(r[2]), utc(r[3])) for r in rows}


MACHINE_SETTINGS = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_bookings_moves_and_schedule_changes_keep_availability_honest(database_url: str):
    """Random sequences of book (any time, or an offered slot), move, cancel, change weekly hours
    and day off / special hours: after every step no two booked appointments of a staff member
    overlap, the database holds exactly the appointments that were acknowledged (refused moves
    change nothing), every offered slot books, and a quarter hour books exactly when offered."""
    with asyncio.Runner() as runner:
        db = Database.from_url(database_url, pool_size=2)
        try:
            shop = runner.run(make_shop(db, min_notice_minutes=int(NOTICE.total_seconds() // 60)))
            hours = {
                member: runner.run(staff.get_staff(db, shop.business_id, member)).weekly_hours
                for member in (shop.sam, shop.alex)
            }
            machine = type(
                "Machine",
                (BookingMachine,),
                {"runner": runner, "db": db, "shop": shop, "hours": hours},
            )
            run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
        finally:
            runner.run(db.dispose())
