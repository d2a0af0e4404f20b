"""Free start times from the real database (SQLite, and PostgreSQL when configured).

The shop (tests/factories.py) is a New York salon, slot step 15 minutes, 60 minutes' notice,
60 days' horizon: Sam Mon-Fri 09-12 & 13-17 (haircut, trim), Alex Tue-Sat 10-13 & 13:30-18
(haircut, trim, colour); haircut 30 + 10 buffer, trim 15 + 0, colour 90 + 15.
NOW is Monday 2026-11-30 08:00 in New York, so the earliest start is 09:00 that day and the
latest is 2027-01-29 08:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.errors import InvalidInput, NotFound, OutsideHours, SlotUnavailable
from booking.services import appointments, availability, businesses, closures, customers, staff
from tests.conftest import NOW
from tests.factories import make_shop

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2026, 12, 1)
WEDNESDAY = date(2026, 12, 2)


def quarter_hours(first: time, last: time) -> list[time]:
    """Every quarter hour from `first` to `last` inclusive."""
    minutes = range(first.hour * 60 + first.minute, last.hour * 60 + last.minute + 1, 15)
    return [time(m // 60, m % 60) for m in minutes]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def local_times(db, shop, day: date, **kwargs) -> list[time]:
    kwargs.setdefault("now", NOW)
    slots = await availability.find_slots(db, shop.business_id, start_date=day, **kwargs)
    return [slot.local_time for slot in slots]


async def book(db, shop, day: date, at: time, *, now: datetime = NOW, **kwargs):
    request = appointments.BookingRequest(
        business_id=shop.business_id,
        customer_id=shop.ada,
        local_date=day,
        local_time=at,
        **kwargs,
    )
    return await appointments.book(db, request, now=now)


# ---------------------------------------------------------------------------------------------
# Hours, overrides, closures
# ---------------------------------------------------------------------------------------------


async def test_lunch_break_is_excluded(db, shop):
    """Sam's 30-minute starts on a Tuesday run 09:00-11:30 and 13:00-16:30: nothing during or
    straddling the 12:00-13:00 lunch break, nothing ending after 17:00."""
    got = await local_times(db, shop, TUESDAY, staff_id=shop.sam, duration_minutes=30)
    assert got == quarter_hours(time(9), time(11, 30)) + quarter_hours(time(13), time(16, 30))


async def test_slots_carry_instant_and_local_reading(db, shop):
    """Each slot gives the UTC instant, its end, and the New York wall-clock reading."""
    slots = await availability.find_slots(
        db,
        shop.business_id,
        start_date=TUESDAY,
        staff_id=shop.sam,
        service_id=shop.haircut,
        now=NOW,
    )
    first = slots[0]
    assert first.starts_at == utc(2026, 12, 1, 14)
    assert first.ends_at == utc(2026, 12, 1, 14, 30)
    assert (first.local_date, first.local_time) == (TUESDAY, time(9))
    assert (first.staff_id, first.staff_name) == (shop.sam, "Sam")


async def test_end_date_defaults_to_start_date(db, shop):
    """Without end_date the search covers start_date alone."""
    slots = await availability.find_slots(
        db, shop.business_id, start_date=TUESDAY, staff_id=shop.sam, now=NOW
    )
    assert slots and {slot.local_date for slot in slots} == {TUESDAY}


async def test_day_off_override_gives_no_slots(db, shop):
    """A day-off override (no intervals) leaves Sam nothing that day; the next day is untouched."""
    await staff.add_override(db, shop.business_id, shop.sam, TUESDAY, [])
    assert await local_times(db, shop, TUESDAY, staff_id=shop.sam) == []
    assert await local_times(db, shop, WEDNESDAY, staff_id=shop.sam) != []


async def test_special_hours_override_replaces_weekly_hours(db, shop):
    """Special hours 14:00-15:00 and 19:00-19:30 replace Sam's weekly hours for that date only."""
    await staff.add_override(
        db, shop.business_id, shop.sam, TUESDAY, [(time(14), time(15)), (time(19), time(19, 30))]
    )
    got = await local_times(db, shop, TUESDAY, staff_id=shop.sam, duration_minutes=30)
    assert got == [time(14), time(14, 15), time(14, 30), time(19)]
    wednesday = await local_times(db, shop, WEDNESDAY, staff_id=shop.sam, duration_minutes=30)
    assert wednesday[0] == time(9)


async def test_business_closure_gives_no_slots(db, shop):
    """A closure of the whole business (inclusive dates) leaves nobody any slot on those days,
    overrides notwithstanding, while the day after is open as usual."""
    await staff.add_override(db, shop.business_id, shop.sam, TUESDAY, [(time(8), time(20))])
    await closures.add_closure(db, shop.business_id, TUESDAY, WEDNESDAY, "Holiday")
    closed = await availability.find_slots(
        db, shop.business_id, start_date=TUESDAY, end_date=WEDNESDAY, now=NOW
    )
    assert closed == []
    open_day = await availability.find_slots(
        db, shop.business_id, start_date=date(2026, 12, 3), now=NOW
    )
    assert {slot.staff_id for slot in open_day} == {shop.sam, shop.alex}


# ---------------------------------------------------------------------------------------------
# Existing bookings and buffers
# ---------------------------------------------------------------------------------------------


async def test_existing_booking_and_its_buffer_block(db, shop):
    """A 10:00 haircut (30 min + 10 buffer) blocks Sam's [10:00, 10:40): a 30-minute start at
    09:30 (ending 10:00) is fine, 09:45-10:30 are not, 10:45 is."""
    await book(db, shop, TUESDAY, time(10), staff_id=shop.sam, service_id=shop.haircut)
    got = await local_times(db, shop, TUESDAY, staff_id=shop.sam, duration_minutes=30)
    assert time(9, 30) in got
    for blocked in (time(9, 45), time(10), time(10, 15), time(10, 30)):
        assert blocked not in got
    assert time(10, 45) in got
    # Alex is not affected by Sam's booking.
    alex = await local_times(db, shop, TUESDAY, staff_id=shop.alex, duration_minutes=30)
    assert time(10) in alex


async def test_buffer_of_existing_booking_with_five_minute_step(db):
    """With a 5-minute step the buffer is visible exactly: after a 10:00 appointment of 30
    minutes + 10 buffer, a 20-minute start at 09:40 (ending 10:00) is offered, 09:45-10:35 are
    not, and 10:40 (when the buffer ends) is."""
    business = await businesses.create_business(
        db, name="Five", timezone="America/New_York", region="US", slot_step_minutes=5
    )
    cut = await staff.create_service(db, business.id, "Cut", 30, buffer_minutes=10)
    kim = await staff.create_staff(
        db, business.id, "Kim", weekly_hours={1: [(time(9), time(12))]}, service_ids=[cut]
    )
    bo = await customers.create_customer(db, business.id, phone="+12345678901", name="Bo")
    request = appointments.BookingRequest(
        business_id=business.id,
        customer_id=bo.id,
        local_date=TUESDAY,
        local_time=time(10),
        staff_id=kim.id,
        service_id=cut,
    )
    await appointments.book(db, request, now=NOW)
    slots = await availability.find_slots(
        db, business.id, start_date=TUESDAY, staff_id=kim.id, duration_minutes=20, now=NOW
    )
    got = [slot.local_time for slot in slots]
    assert got[:3] == [time(9), time(9, 5), time(9, 10)]
    assert time(9, 40) in got
    for minute in range(45, 96, 5):
        assert time(9 + minute // 60, minute % 60) not in got
    assert time(10, 40) in got


async def test_new_service_buffer_blocks_start_right_before_a_booking(db, shop):
    """With a 10:00 trim booked, a haircut (30 + 10 buffer) at 09:30 would block until 10:10,
    so it is not offered, though a plain 30-minute appointment at 09:30 is; 09:15 works for
    both, and 10:15 (when the trim ends) is offered again."""
    await book(db, shop, TUESDAY, time(10), staff_id=shop.sam, service_id=shop.trim)
    haircut = await local_times(db, shop, TUESDAY, staff_id=shop.sam, service_id=shop.haircut)
    plain = await local_times(db, shop, TUESDAY, staff_id=shop.sam, duration_minutes=30)
    assert time(9, 30) not in haircut
    assert time(9, 30) in plain
    assert time(9, 15) in haircut and time(9, 15) in plain
    assert time(10, 15) in haircut
    with pytest.raises(SlotUnavailable):
        await book(db, shop, TUESDAY, time(9, 30), staff_id=shop.sam, service_id=shop.haircut)


async def test_service_duration_sets_the_length(db, shop):
    """A service's duration decides where starts stop before a break: a colour (90 min) with
    Alex ends by 13:00 and by 18:00, so the last starts are 11:30 and 16:30."""
    got = await local_times(db, shop, TUESDAY, staff_id=shop.alex, service_id=shop.colour)
    assert got == quarter_hours(time(10), time(11, 30)) + quarter_hours(time(13, 30), time(16, 30))


async def test_cancelled_booking_frees_its_time(db, shop):
    """Once cancelled, an appointment no longer blocks anything."""
    booked = await book(db, shop, TUESDAY, time(10), staff_id=shop.sam, service_id=shop.haircut)
    assert time(10) not in await local_times(db, shop, TUESDAY, staff_id=shop.sam)
    await appointments.cancel(db, shop.business_id, booked.id, now=NOW)
    assert time(10) in await local_times(db, shop, TUESDAY, staff_id=shop.sam)


async def test_booked_slot_disappears_and_neighbours_stay(db, shop):
    """Booking a slot that was offered succeeds, and afterwards exactly the starts whose block
    would overlap it are gone."""
    before = await local_times(db, shop, TUESDAY, staff_id=shop.sam, service_id=shop.trim)
    assert time(11) in before
    await book(db, shop, TUESDAY, time(11), staff_id=shop.sam, service_id=shop.trim)
    after = await local_times(db, shop, TUESDAY, staff_id=shop.sam, service_id=shop.trim)
    assert [t for t in before if t not in after] == [time(11)]


async def test_buffer_running_past_midnight_blocks_next_day_start(db, shop):
    """A late-evening appointment whose buffer runs past midnight blocks the next day's 00:00
    start, and a booking at 00:00 stops the evening start whose buffer would reach it; every
    slot offered on either side can then really be booked."""
    late = await staff.create_service(db, shop.business_id, "Late", 30, buffer_minutes=30)
    await staff.set_services(db, shop.business_id, shop.sam, [shop.trim, late])
    await staff.set_weekly_hours(
        db, shop.business_id, shop.sam, {1: [(time(22), time(23, 59))], 2: [(time(0), time(2))]}
    )
    # A trim at 00:00 on Wednesday: a "Late" appointment at 23:15 Tuesday would block until
    # 00:15 Wednesday, so it must not be offered even though the search covers Tuesday only.
    await book(db, shop, WEDNESDAY, time(0), staff_id=shop.sam, service_id=shop.trim)
    tuesday = await local_times(db, shop, TUESDAY, staff_id=shop.sam, service_id=late)
    assert tuesday == quarter_hours(time(22), time(23))
    with pytest.raises(SlotUnavailable):
        await book(db, shop, TUESDAY, time(23, 15), staff_id=shop.sam, service_id=late)
    # 23:00 ends 23:30 and its buffer ends exactly when the trim starts: offered and bookable.
    booked = await book(db, shop, TUESDAY, time(23), staff_id=shop.sam, service_id=late)
    assert booked.starts_at == utc(2026, 12, 2, 4)


async def test_block_from_previous_evening_reaches_into_the_range(db, shop):
    """An appointment on the evening before the searched day, whose buffer runs past midnight,
    blocks the first minutes of the searched day."""
    late = await staff.create_service(db, shop.business_id, "Late", 30, buffer_minutes=30)
    await staff.set_services(db, shop.business_id, shop.sam, [shop.trim, late])
    await staff.set_weekly_hours(
        db, shop.business_id, shop.sam, {1: [(time(22), time(23, 59))], 2: [(time(0), time(2))]}
    )
    await book(db, shop, TUESDAY, time(23, 15), staff_id=shop.sam, service_id=late)
    got = await local_times(db, shop, WEDNESDAY, staff_id=shop.sam, service_id=shop.trim)
    assert got[0] == time(0, 15)


# ---------------------------------------------------------------------------------------------
# Notice and horizon
# ---------------------------------------------------------------------------------------------


async def test_minimum_notice(db, shop):
    """Starts earlier than now + 60 minutes are not offered: at 08:00 the first is 09:00; at
    08:20 (earliest 09:20) it is 09:30; at 11:50 Sam's morning is gone and 13:00 is first."""
    today = date(2026, 11, 30)
    assert (await local_times(db, shop, today, staff_id=shop.sam))[0] == time(9)
    later = NOW + timedelta(minutes=20)
    assert (await local_times(db, shop, today, staff_id=shop.sam, now=later))[0] == time(9, 30)
    noon = NOW + timedelta(hours=3, minutes=50)
    assert (await local_times(db, shop, today, staff_id=shop.sam, now=noon))[0] == time(13)


async def test_minimum_notice_exact_boundary(db, shop):
    """A start exactly at now + notice is offered (start >= now + min_notice)."""
    now = NOW + timedelta(minutes=15)  # earliest 09:15 exactly
    assert (await local_times(db, shop, date(2026, 11, 30), staff_id=shop.sam, now=now))[0] == time(
        9, 15
    )


async def test_past_days_give_nothing(db, shop):
    """A day entirely before now has no slots."""
    assert await local_times(db, shop, date(2026, 11, 27), staff_id=shop.sam) == []


async def test_horizon(db, shop):
    """Starts later than now + 60 days are not offered; a start exactly at the horizon is.
    With now at 10:00 on 30 Nov the last start is 10:00 on Friday 29 Jan 2027."""
    now = NOW + timedelta(hours=2)  # 10:00 New York; horizon 2027-01-29 10:00
    slots = await availability.find_slots(
        db,
        shop.business_id,
        start_date=date(2027, 1, 28),
        end_date=date(2027, 1, 30),
        staff_id=shop.sam,
        now=now,
    )
    last = slots[-1]
    assert (last.local_date, last.local_time) == (date(2027, 1, 29), time(10))
    assert last.starts_at == now + timedelta(days=60)
    assert any(slot.local_date == date(2027, 1, 28) for slot in slots)
    beyond = await availability.find_slots(
        db, shop.business_id, start_date=date(2027, 2, 1), now=now
    )
    assert beyond == []


# ---------------------------------------------------------------------------------------------
# Anyone, and bad input
# ---------------------------------------------------------------------------------------------


async def test_anyone_merges_staff_who_perform_the_service(db, shop):
    """With no staff named, a haircut search merges Sam's and Alex's starts in time order
    (09:00 only Sam, 10:00 both), while a colour search offers only Alex, who alone does it."""
    haircut = await availability.find_slots(
        db, shop.business_id, start_date=TUESDAY, service_id=shop.haircut, now=NOW
    )
    sam = await availability.find_slots(
        db,
        shop.business_id,
        start_date=TUESDAY,
        staff_id=shop.sam,
        service_id=shop.haircut,
        now=NOW,
    )
    alex = await availability.find_slots(
        db,
        shop.business_id,
        start_date=TUESDAY,
        staff_id=shop.alex,
        service_id=shop.haircut,
        now=NOW,
    )
    assert sorted(haircut, key=lambda s: (s.starts_at, s.staff_id)) == haircut
    assert set(haircut) == set(sam) | set(alex)
    assert len(haircut) == len(sam) + len(alex)
    at_nine = [s.staff_id for s in haircut if s.local_time == time(9)]
    at_ten = [s.staff_id for s in haircut if s.local_time == time(10)]
    assert at_nine == [shop.sam]
    assert sorted(at_ten) == sorted([shop.sam, shop.alex])

    colour = await availability.find_slots(
        db, shop.business_id, start_date=TUESDAY, service_id=shop.colour, now=NOW
    )
    assert colour and {s.staff_id for s in colour} == {shop.alex}


async def test_anyone_excludes_staff_without_the_service_even_if_free(db, shop):
    """A staff member who does not perform the service gets no slots for it, even when only
    they are working (Saturday: Alex works, Sam does not; Jo works but only does trims)."""
    jo = await staff.create_staff(
        db,
        shop.business_id,
        "Jo",
        weekly_hours={d: [(time(8), time(20))] for d in range(7)},
        service_ids=[shop.trim],
    )
    saturday = date(2026, 12, 5)
    colour = await availability.find_slots(
        db, shop.business_id, start_date=saturday, service_id=shop.colour, now=NOW
    )
    assert colour and {s.staff_id for s in colour} == {shop.alex}
    trim = await availability.find_slots(
        db, shop.business_id, start_date=saturday, service_id=shop.trim, now=NOW
    )
    assert {s.staff_id for s in trim} == {shop.alex, jo.id}
    sunday = await availability.find_slots(
        db, shop.business_id, start_date=date(2026, 12, 6), service_id=shop.haircut, now=NOW
    )
    assert sunday == []


async def test_anyone_without_service_covers_all_active_staff(db, shop):
    """With neither staff nor service, every active staff member's starts are offered."""
    slots = await availability.find_slots(db, shop.business_id, start_date=TUESDAY, now=NOW)
    assert {s.staff_id for s in slots} == {shop.sam, shop.alex}


async def test_staff_without_hours_or_inactive_offer_nothing_and_others_keep_theirs(db, shop):
    """A staff member with no weekly hours is searched but offers nothing; one made inactive is
    left out of "anyone" and, named, is not taking bookings; the others keep their hours."""
    idle = await staff.create_staff(db, shop.business_id, "Idle", service_ids=[shop.haircut])
    assert await local_times(db, shop, TUESDAY, staff_id=idle.id) == []
    slots = await availability.find_slots(db, shop.business_id, start_date=TUESDAY, now=NOW)
    assert {s.staff_id for s in slots} == {shop.sam, shop.alex}
    assert await local_times(db, shop, TUESDAY, staff_id=shop.sam) == quarter_hours(
        time(9), time(11, 30)
    ) + quarter_hours(time(13), time(16, 30))

    await staff.update_staff(db, shop.business_id, shop.alex, active=False)
    slots = await availability.find_slots(db, shop.business_id, start_date=TUESDAY, now=NOW)
    assert {s.staff_id for s in slots} == {shop.sam}
    assert await local_times(db, shop, TUESDAY, staff_id=shop.alex) == []


async def test_end_date_before_start_date_is_invalid(db, shop):
    """end_date before start_date is refused as InvalidInput naming end_date."""
    with pytest.raises(InvalidInput) as raised:
        await availability.find_slots(
            db, shop.business_id, start_date=WEDNESDAY, end_date=TUESDAY, now=NOW
        )
    assert raised.value.field == "end_date"


async def test_too_long_a_range_is_invalid(db, shop):
    """A search longer than the maximum range is refused, naming end_date."""
    with pytest.raises(InvalidInput) as raised:
        await availability.find_slots(
            db,
            shop.business_id,
            start_date=TUESDAY,
            end_date=TUESDAY + timedelta(days=availability.MAX_RANGE_DAYS),
            now=NOW,
        )
    assert raised.value.field == "end_date"


async def test_staff_who_does_not_perform_the_service_is_invalid(db, shop):
    """Naming a staff member together with a service they do not perform is InvalidInput."""
    with pytest.raises(InvalidInput) as raised:
        await availability.find_slots(
            db,
            shop.business_id,
            start_date=TUESDAY,
            staff_id=shop.sam,
            service_id=shop.colour,
            now=NOW,
        )
    assert raised.value.field == "staff_id"


@pytest.mark.parametrize("minutes", [0, 4, 721, -30])
async def test_duration_out_of_range_is_invalid(db, shop, minutes):
    """A duration outside 5-720 minutes is refused naming duration_minutes, with or without a
    service (with a service it overrides the service's own duration)."""
    for service_id in (None, shop.haircut):
        with pytest.raises(InvalidInput) as raised:
            await availability.find_slots(
                db,
                shop.business_id,
                start_date=TUESDAY,
                service_id=service_id,
                duration_minutes=minutes,
                now=NOW,
            )
        assert raised.value.field == "duration_minutes"


async def test_explicit_duration_with_service_overrides_length_keeps_buffer(db, shop):
    """An explicit duration with a service sets the length; the service's buffer still applies
    (a 60-minute haircut before a 10:00 trim must end with its buffer by 10:00)."""
    await book(db, shop, TUESDAY, time(10), staff_id=shop.sam, service_id=shop.trim)
    got = await local_times(
        db, shop, TUESDAY, staff_id=shop.sam, service_id=shop.haircut, duration_minutes=60
    )
    assert time(9) not in got  # 09:00-10:00 + 10 buffer reaches into the trim
    assert got[0] == time(10, 15)


async def test_unknown_ids_are_not_found(db, shop):
    """An unknown service, staff member or business is NotFound."""
    with pytest.raises(NotFound):
        await availability.find_slots(
            db, shop.business_id, start_date=TUESDAY, service_id=9999, now=NOW
        )
    with pytest.raises(NotFound):
        await availability.find_slots(
            db, shop.business_id, start_date=TUESDAY, staff_id=9999, now=NOW
        )
    with pytest.raises(NotFound):
        await availability.find_slots(db, 9999, start_date=TUESDAY, now=NOW)


async def test_service_of_another_business_is_not_found(db, shop):
    """A service id from another business is NotFound, not silently used."""
    other = await make_shop(db, name="Other", number="+12125550101")
    with pytest.raises(NotFound):
        await availability.find_slots(
            db, shop.business_id, start_date=TUESDAY, service_id=other.haircut, now=NOW
        )


# ---------------------------------------------------------------------------------------------
# Daylight saving time
# ---------------------------------------------------------------------------------------------


async def night_shop(db, timezone: str, region: str, number: str, opens: time, closes: time):
    """A shop whose Sam works only on Sundays, from `opens` to `closes`."""
    shop = await make_shop(db, timezone=timezone, region=region, number=number)
    await staff.set_weekly_hours(db, shop.business_id, shop.sam, {6: [(opens, closes)]})
    return shop


async def sunday_slots(db, shop, day: date, now: datetime, **kwargs):
    kwargs.setdefault("duration_minutes", 30)
    return await availability.find_slots(
        db, shop.business_id, start_date=day, staff_id=shop.sam, now=now, **kwargs
    )


def every_quarter(first: datetime, last: datetime) -> list[datetime]:
    found = []
    while first <= last:
        found.append(first)
        first += timedelta(minutes=15)
    return found


NY_SPRING = date(2027, 3, 14)  # 02:00 EST -> 03:00 EDT
NY_FALL = date(2027, 11, 7)  # 02:00 EDT -> 01:00 EST
LONDON_SPRING = date(2027, 3, 28)  # 01:00 GMT -> 02:00 BST
LONDON_FALL = date(2027, 10, 31)  # 02:00 BST -> 01:00 GMT
SPRING_NOW = utc(2027, 3, 1, 12)
FALL_NOW = utc(2027, 10, 20, 12)


async def test_new_york_spring_forward_slots(db):
    """Hours 01:00-04:00 on the New York spring-forward Sunday last two real hours: 30-minute
    starts 01:00-01:45 EST then 03:00-03:30 EDT, i.e. every quarter hour 06:00-07:30 UTC; no
    02:xx wall time is offered."""
    shop = await night_shop(db, "America/New_York", "US", "+12125550102", time(1), time(4))
    slots = await sunday_slots(db, shop, NY_SPRING, SPRING_NOW)
    assert [s.starts_at for s in slots] == every_quarter(
        utc(2027, 3, 14, 6), utc(2027, 3, 14, 7, 30)
    )
    assert [s.local_time for s in slots] == quarter_hours(time(1), time(1, 45)) + quarter_hours(
        time(3), time(3, 30)
    )
    assert all(s.local_date == NY_SPRING for s in slots)


async def test_new_york_spring_forward_nonexistent_time_is_refused(db):
    """Booking 02:30 on the New York spring-forward day is refused: InvalidInput naming
    appointment_time, saying the time does not exist (not 'outside hours', not shifted)."""
    shop = await night_shop(db, "America/New_York", "US", "+12125550103", time(1), time(4))
    with pytest.raises(InvalidInput) as raised:
        await book(db, shop, NY_SPRING, time(2, 30), staff_id=shop.sam, now=SPRING_NOW)
    assert not isinstance(raised.value, OutsideHours)
    assert raised.value.field == "appointment_time"
    assert "does not exist" in raised.value.message
    assert await sunday_slots(db, shop, NY_SPRING, SPRING_NOW) != []  # nothing was booked


async def test_new_york_spring_forward_booking_across_the_gap(db):
    """A 30-minute booking at 01:45 EST lasts until 03:15 EDT (07:15 UTC): half an hour."""
    shop = await night_shop(db, "America/New_York", "US", "+12125550104", time(1), time(4))
    booked = await book(
        db, shop, NY_SPRING, time(1, 45), staff_id=shop.sam, duration_minutes=30, now=SPRING_NOW
    )
    assert booked.starts_at == utc(2027, 3, 14, 6, 45)
    assert booked.ends_at == utc(2027, 3, 14, 7, 15)
    assert booked.ends_at.astimezone(NY).time() == time(3, 15)
    slots = await sunday_slots(db, shop, NY_SPRING, SPRING_NOW)
    expected = [*quarter_hours(time(1), time(1, 15)), time(3, 15), time(3, 30)]
    assert [s.local_time for s in slots] == expected


async def test_new_york_fall_back_slots(db):
    """Hours 01:00-03:00 on the New York fall-back Sunday last three real hours. Starts are the
    first occurrences 01:00-01:45 EDT and then 02:00-02:30 EST; the repeated 01:xx EST is never
    offered. A 120-minute appointment fits from 01:00-01:45 EDT."""
    shop = await night_shop(db, "America/New_York", "US", "+12125550105", time(1), time(3))
    slots = await sunday_slots(db, shop, NY_FALL, FALL_NOW)
    assert [s.starts_at for s in slots] == every_quarter(
        utc(2027, 11, 7, 5), utc(2027, 11, 7, 5, 45)
    ) + every_quarter(utc(2027, 11, 7, 7), utc(2027, 11, 7, 7, 30))
    assert all(s.local_start.fold == 0 for s in slots)
    assert [s.local_time for s in slots] == quarter_hours(time(1), time(2, 30))
    long = await sunday_slots(db, shop, NY_FALL, FALL_NOW, duration_minutes=120)
    assert [s.starts_at for s in long] == every_quarter(
        utc(2027, 11, 7, 5), utc(2027, 11, 7, 5, 45)
    )


async def test_new_york_fall_back_ambiguous_time_books_first_occurrence(db):
    """Booking 01:30 on the New York fall-back day gives 01:30 EDT (05:30 UTC); booking 01:30
    again is refused as taken, never silently moved to the second 01:30 (EST)."""
    shop = await night_shop(db, "America/New_York", "US", "+12125550106", time(1), time(3))
    booked = await book(
        db, shop, NY_FALL, time(1, 30), staff_id=shop.sam, service_id=shop.haircut, now=FALL_NOW
    )
    assert booked.starts_at == utc(2027, 11, 7, 5, 30)
    assert booked.local_start.utcoffset() == timedelta(hours=-4)
    assert (booked.local_date, booked.local_time) == (NY_FALL, time(1, 30))
    with pytest.raises(SlotUnavailable):
        await book(
            db, shop, NY_FALL, time(1, 30), staff_id=shop.sam, service_id=shop.trim, now=FALL_NOW
        )
    # The haircut blocks 05:30-06:10 UTC; 02:00 EST (07:00 UTC) is still free.
    slots = await sunday_slots(db, shop, NY_FALL, FALL_NOW)
    assert [s.local_time for s in slots] == [time(1), *quarter_hours(time(2), time(2, 30))]


async def test_london_spring_forward_slots(db):
    """Hours 00:00-04:00 on the London spring-forward Sunday are three real hours (00:00 GMT to
    04:00 BST = 00:00-03:00 UTC): starts every quarter hour 00:00-02:30 UTC; no 01:xx wall
    time; booking 01:30 is refused naming appointment_time."""
    shop = await night_shop(db, "Europe/London", "GB", "+442079460018", time(0), time(4))
    slots = await sunday_slots(db, shop, LONDON_SPRING, SPRING_NOW)
    assert [s.starts_at for s in slots] == every_quarter(
        utc(2027, 3, 28, 0), utc(2027, 3, 28, 2, 30)
    )
    assert all(s.local_time.hour != 1 for s in slots)
    with pytest.raises(InvalidInput) as raised:
        await book(db, shop, LONDON_SPRING, time(1, 30), staff_id=shop.sam, now=SPRING_NOW)
    assert raised.value.field == "appointment_time"
    assert not isinstance(raised.value, OutsideHours)


async def test_london_fall_back_slots(db):
    """Hours 00:00-04:00 on the London fall-back Sunday are five real hours (23:00 UTC Saturday
    to 04:00 UTC): starts 00:00-01:45 BST, then 02:00-03:30 GMT; the second 01:xx is never
    offered, and booking 01:30 gives 01:30 BST (00:30 UTC)."""
    shop = await night_shop(db, "Europe/London", "GB", "+442079460019", time(0), time(4))
    slots = await sunday_slots(db, shop, LONDON_FALL, FALL_NOW)
    assert [s.starts_at for s in slots] == every_quarter(
        utc(2027, 10, 30, 23), utc(2027, 10, 31, 0, 45)
    ) + every_quarter(utc(2027, 10, 31, 2), utc(2027, 10, 31, 3, 30))
    assert all(s.local_date == LONDON_FALL and s.local_start.fold == 0 for s in slots)
    booked = await book(db, shop, LONDON_FALL, time(1, 30), staff_id=shop.sam, now=FALL_NOW)
    assert booked.starts_at == utc(2027, 10, 31, 0, 30)
    assert booked.local_start.utcoffset() == timedelta(hours=1)


async def test_lord_howe_half_hour_gap_slots(db):
    """Lord Howe moves its clock by half an hour (02:00 -> 02:30 on 2027-10-03): hours
    01:00-03:00 last 90 minutes, with 30-minute starts 01:00-01:45 (+10:30) and 02:30 (+11)."""
    shop = await night_shop(db, "Australia/Lord_Howe", "AU", "+61255501234", time(1), time(3))
    slots = await sunday_slots(db, shop, date(2027, 10, 3), utc(2027, 9, 20))
    assert [s.starts_at for s in slots] == every_quarter(
        utc(2027, 10, 2, 14, 30), utc(2027, 10, 2, 15, 30)
    )
    assert [s.local_time for s in slots] == [*quarter_hours(time(1), time(1, 45)), time(2, 30)]


async def test_hours_bounded_by_a_gap_time(db):
    """Special hours 02:30-04:00 on the New York spring-forward day open when the clock jumps
    to 03:00 EDT; special hours 00:00-02:30 close at that same instant."""
    shop = await night_shop(db, "America/New_York", "US", "+12125550107", time(1), time(4))
    await staff.add_override(db, shop.business_id, shop.sam, NY_SPRING, [(time(2, 30), time(4))])
    slots = await sunday_slots(db, shop, NY_SPRING, SPRING_NOW, duration_minutes=60)
    assert [s.starts_at for s in slots] == [utc(2027, 3, 14, 7)]
    await staff.add_override(db, shop.business_id, shop.sam, NY_SPRING, [(time(0), time(2, 30))])
    slots = await sunday_slots(db, shop, NY_SPRING, SPRING_NOW, duration_minutes=60)
    assert slots[-1].starts_at == utc(2027, 3, 14, 6)
    assert slots[-1].ends_at == utc(2027, 3, 14, 7)
