"""The book as a timeline (services/day_sheet): working hours, days off, closures and the
appointments of each day, on an axis measured in instants so daylight-saving days are right."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from booking.db import Database
from booking.services import businesses, closures, staff
from booking.services.appointments import BookingRequest, book
from booking.services.day_sheet import day_sheets
from tests.conftest import NOW
from tests.factories import Shop, make_shop

NY_FALL = date(2027, 11, 7)  # 02:00 EDT -> 01:00 EST: 25 hours
NY_SPRING = date(2027, 3, 14)  # 02:00 EST -> 03:00 EDT: 23 hours


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def test_a_day_shows_hours_lunch_breaks_and_appointments(db: Database, shop: Shop) -> None:
    """Monday: Sam's two intervals (the lunch break between them), Alex not working, Ada's
    booking on Sam's lane with her name; the axis runs 08:00 to 18:00 New York time."""
    await book(
        db,
        BookingRequest(shop.business_id, shop.ada, date(2026, 12, 7), time(10), shop.sam,
                       shop.haircut),
        now=NOW,
    )  # fmt: skip
    _, [sheet] = await day_sheets(db, shop.business_id, date(2026, 12, 7), date(2026, 12, 7), NOW)
    sam, alex = sheet.staff
    assert sam.working == [
        (utc(2026, 12, 7, 14), utc(2026, 12, 7, 17)),
        (utc(2026, 12, 7, 18), utc(2026, 12, 7, 22)),
    ]
    assert alex.working == []
    assert [(b.customer_name, b.info.local_time) for b in sam.appointments] == [("Ada", time(10))]
    assert (sheet.starts, sheet.ends) == (utc(2026, 12, 7, 13), utc(2026, 12, 7, 23))
    assert sheet.offset(utc(2026, 12, 7, 18)) == 50.0
    assert sheet.closed is None


async def test_closures_and_days_off_are_marked(db: Database, shop: Shop) -> None:
    """A closure marks the day closed with its reason (nobody works); a day-off override
    marks only that staff member's lane."""
    await closures.add_closure(
        db, shop.business_id, date(2026, 12, 24), date(2026, 12, 25), "Holidays"
    )
    await staff.add_override(db, shop.business_id, shop.sam, date(2026, 12, 8), [])
    _, sheets = await day_sheets(db, shop.business_id, date(2026, 12, 8), date(2026, 12, 8), NOW)
    sam, alex = sheets[0].staff
    assert sam.day_off and sam.working == []
    assert not alex.day_off and alex.working
    _, sheets = await day_sheets(db, shop.business_id, date(2026, 12, 24), date(2026, 12, 24), NOW)
    assert sheets[0].closed == "Holidays"
    assert all(row.working == [] for row in sheets[0].staff)


async def test_daylight_saving_days_have_their_real_length(db: Database) -> None:
    """Staff working 00:00-06:00: on the autumn day the axis has 25 hour marks' worth of
    time between 00:00 and 07:00 (the 01:00 mark twice), on the spring day 02:00 is missing;
    the working span is 7 and 5 real hours long."""
    shop = await make_shop(db, number="+12125550177")
    night = [(time(0), time(6))]
    await staff.set_weekly_hours(db, shop.business_id, shop.sam, {6: night})
    _, [fall] = await day_sheets(db, shop.business_id, NY_FALL, NY_FALL, NOW)
    sam = fall.staff[0]
    opens, closes = sam.working[0]
    assert (closes - opens).total_seconds() == 7 * 3600
    zone = (await businesses.get_business(db, shop.business_id)).zone
    assert [m.astimezone(zone).strftime("%H") for m in fall.hours][:4] == ["00", "01", "01", "02"]
    _, [spring] = await day_sheets(db, shop.business_id, NY_SPRING, NY_SPRING, NOW)
    opens, closes = spring.staff[0].working[0]
    assert (closes - opens).total_seconds() == 5 * 3600
    assert [m.astimezone(zone).strftime("%H") for m in spring.hours][:3] == ["00", "01", "03"]
