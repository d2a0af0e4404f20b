"""Each staff member's calendar feed: open by its secret URL, valid iCalendar, rotatable."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from booking.api.calendar_feed import render_feed
from booking.models import Appointment, AppointmentStatus, Staff
from booking.services import appointments, customers
from booking.services.calendar_feed import FeedEvent, StaffFeed
from tests.conftest import NOW
from tests.factories import Shop, make_shop

PROBLEM = "application/problem+json"
NEW_YORK = "America/New_York"


async def book(
    db,
    shop: Shop,
    day: str,
    at: str,
    *,
    staff_id: int | None = None,
    service_id: int | None = None,
    customer_id: int | None = None,
    now: datetime = NOW,
) -> int:
    booked = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=customer_id or shop.ada,
            staff_id=staff_id or shop.sam,
            service_id=service_id or shop.haircut,
            local_date=date.fromisoformat(day),
            local_time=time.fromisoformat(at),
        ),
        now=now,
    )
    return booked.id


async def feed_url(client, auth, staff_id: int) -> str:
    response = await client.get(f"/api/staff/{staff_id}/calendar-feed", headers=auth)
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert url.startswith(f"http://testserver/api/staff/{staff_id}/calendar.ics?key=")
    return url


async def fetch_feed(client, url: str) -> Calendar:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_feed_is_icalendar_of_booked_and_completed_in_local_time(client, db, shop, auth):
    """The open feed carries the calendar's names and zone, and each appointment at its local
    time in the business's zone with a stable UID, across a change of clocks."""
    grace = await customers.create_customer(
        db, shop.business_id, phone="+12345678901", name="Grace Brewster Hopper"
    )
    upcoming = await book(db, shop, "2026-12-01", "10:00", customer_id=grace.id)
    trim = await book(db, shop, "2026-12-02", "14:30", service_id=shop.trim)
    # Three weeks ago (Eastern Standard Time) and completed.
    past = await book(db, shop, "2026-11-09", "09:00", now=NOW - timedelta(days=25))
    await appointments.set_status(db, shop.business_id, past, AppointmentStatus.COMPLETED)
    url = await feed_url(client, auth, shop.sam)
    assert url.startswith(f"http://testserver/api/staff/{shop.sam}/calendar.ics?key=")

    calendar = await fetch_feed(client, url)  # no Authorization header at all

    assert str(calendar["VERSION"]) == "2.0"
    assert "booking" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Sam (Test Salon)"
    assert str(calendar["X-WR-TIMEZONE"]) == NEW_YORK
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [NEW_YORK]
    events = events_by_uid(calendar)
    assert set(events) == {f"appt-{i}@booking" for i in (upcoming, trim, past)}
    first = events[f"appt-{upcoming}@booking"]
    assert first["DTSTART"].params["TZID"] == NEW_YORK
    assert first["DTEND"].params["TZID"] == NEW_YORK
    assert first.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 12, 1, 10, 0)
    assert first.decoded("DTSTART") == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert str(first["SUMMARY"]) == "Haircut – Grace"
    assert str(events[f"appt-{trim}@booking"]["SUMMARY"]) == "Beard trim – Ada"
    assert events[f"appt-{trim}@booking"].decoded("DTEND") == datetime(
        2026, 12, 2, 19, 45, tzinfo=UTC
    )
    assert events[f"appt-{past}@booking"].decoded("DTSTART") == datetime(
        2026, 11, 9, 14, 0, tzinfo=UTC
    )
    again = events_by_uid(await fetch_feed(client, url))
    assert set(again) == set(events)


async def test_feed_leaves_out_cancelled_old_and_other_staff(client, db, shop, auth):
    """Cancelled appointments, those before 30 days ago and other staff's are not in the feed."""
    kept = await book(db, shop, "2026-12-01", "10:00")
    cancelled = await book(db, shop, "2026-12-01", "11:00")
    await appointments.cancel(db, shop.business_id, cancelled, now=NOW)
    too_old = await book(db, shop, "2026-10-26", "10:00", now=NOW - timedelta(days=40))
    await appointments.set_status(db, shop.business_id, too_old, AppointmentStatus.COMPLETED)
    no_show = await book(db, shop, "2026-11-23", "10:00", now=NOW - timedelta(days=10))
    await appointments.set_status(db, shop.business_id, no_show, AppointmentStatus.NO_SHOW)
    alex_booking = await book(db, shop, "2026-12-01", "10:00", staff_id=shop.alex)

    sam_events = events_by_uid(await fetch_feed(client, await feed_url(client, auth, shop.sam)))
    assert set(sam_events) == {f"appt-{kept}@booking"}
    alex_events = events_by_uid(await fetch_feed(client, await feed_url(client, auth, shop.alex)))
    assert set(alex_events) == {f"appt-{alex_booking}@booking"}


async def test_feed_names_no_phone_number_or_surname(client, db, shop, auth):
    """Events name the service and the customer's first name only; no phone number appears."""
    grace = await customers.create_customer(
        db, shop.business_id, phone="+12345678901", name="Grace Hopper", email="g@example.com"
    )
    await book(db, shop, "2026-12-01", "10:00", customer_id=grace.id)
    response = await client.get(await feed_url(client, auth, shop.sam))
    text = response.content.decode()
    assert "Grace" in text
    for private in ("Hopper", "2345678901", "g@example.com"):
        assert private not in text


async def test_feed_with_an_empty_book_still_has_its_zone(client, shop, auth):
    """A staff member with no appointments gets a valid calendar with the zone and no events."""
    calendar = await fetch_feed(client, await feed_url(client, auth, shop.alex))
    assert calendar.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [NEW_YORK]


async def test_feed_speaks_the_business_zone(client, db):
    """A London business's feed declares Europe/London and gives London wall times."""
    london = await make_shop(db, name="London Salon", timezone="Europe/London", region="GB")
    booked = await book(db, london, "2026-12-01", "10:00")
    headers = {"Authorization": f"Bearer {london.token}"}
    calendar = await fetch_feed(client, await feed_url(client, headers, london.sam))
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/London"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"appt-{booked}@booking"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("key", [None, "", "wrong", "x" * 500])
async def test_wrong_or_missing_key_is_not_found(client, db, shop, auth, key):
    """A missing or wrong key answers 404 problem details, like an unknown staff member."""
    await book(db, shop, "2026-12-01", "10:00")
    params = {} if key is None else {"key": key}
    response = await client.get(f"/api/staff/{shop.sam}/calendar.ics", params=params)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    unknown = await client.get("/api/staff/999999/calendar.ics", params={"key": "wrong"})
    assert unknown.status_code == 404
    assert unknown.json()["title"] == response.json()["title"]
    assert unknown.json()["code"] == response.json()["code"] == "not_found"
    assert "Haircut" not in response.text


async def test_one_staff_members_key_does_not_open_anothers_feed(client, shop, auth):
    """Sam's key on Alex's feed URL is 404."""
    sam_url = await feed_url(client, auth, shop.sam)
    crossed = sam_url.replace(f"/staff/{shop.sam}/", f"/staff/{shop.alex}/")
    assert (await client.get(crossed)).status_code == 404


async def test_rotating_the_key_retires_the_old_url(client, db, shop, auth):
    """POST gives a new URL with a new key; the old URL is 404 at once; GET shows the new one."""
    old_url = await feed_url(client, auth, shop.sam)
    assert (await client.get(old_url)).status_code == 200
    rotated = await client.post(f"/api/staff/{shop.sam}/calendar-feed", headers=auth)
    assert rotated.status_code == 200, rotated.text
    new_url = rotated.json()["url"]
    assert new_url != old_url
    assert new_url.startswith(f"http://testserver/api/staff/{shop.sam}/calendar.ics?key=")
    assert (await client.get(old_url)).status_code == 404
    assert (await client.get(new_url)).status_code == 200
    assert await feed_url(client, auth, shop.sam) == new_url
    async with db.read() as session:
        stored = (await session.get(Staff, shop.sam)).calendar_key
    assert new_url.endswith(f"key={stored}")


async def test_feed_url_routes_need_a_token_and_own_staff(client, db, shop, auth):
    """Showing or rotating a feed URL needs a token; another business's staff is 404 and keeps
    its key."""
    other = await make_shop(db, name="Other Salon", number="+12125550111")
    other_url = await feed_url(client, {"Authorization": f"Bearer {other.token}"}, other.sam)
    path = f"/api/staff/{shop.sam}/calendar-feed"
    assert (await client.get(path)).status_code == 401
    assert (await client.post(path)).status_code == 401
    theirs = f"/api/staff/{other.sam}/calendar-feed"
    for method in ("GET", "POST"):
        response = await client.request(method, theirs, headers=auth)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(other_url)).status_code == 200


def test_repeated_hour_keeps_each_instant():
    """In the hour that repeats when clocks go back, the first 01:30 is given as a New York wall
    time and the second in UTC, so both read back as the instants they are."""
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    events = [
        FeedEvent(
            i,
            start,
            start + timedelta(minutes=20),
            AppointmentStatus.BOOKED,
            None,
            None,
            start,
            start,
        )
        for i, start in ((1, first), (2, second))
    ]
    feed = StaffFeed(1, "Sam", "Test Salon", NEW_YORK, events)
    calendar = Calendar.from_ical(render_feed(feed, NOW))
    read = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert read["appt-1@booking"]["DTSTART"].params["TZID"] == NEW_YORK
    # astimezone: Python never finds an ambiguous wall time equal to a time in another zone.
    assert read["appt-1@booking"].decoded("DTSTART").astimezone(UTC) == first
    assert read["appt-2@booking"].decoded("DTSTART").astimezone(UTC) == second
    assert "TZID" not in read["appt-2@booking"]["DTSTART"].params
    assert str(read["appt-2@booking"]["SUMMARY"]) == "Appointment"


async def test_feed_keeps_local_time_on_both_sides_of_a_change_of_clocks(client, db, shop, auth):
    """Appointments at 10:00 on either side of New York's fall-back (1 November 2026) are both
    given as 10:00 wall time with the business's TZID; their UTC instants are an hour apart,
    and the feed's VTIMEZONE holds both the daylight and the standard offset."""
    booked_on = datetime(2026, 10, 20, 13, 0, tzinfo=UTC)
    # Saturday 31 October, EDT (UTC-4): 14:00 UTC, just inside the feed's 30 days before NOW.
    before = await book(db, shop, "2026-10-31", "10:00", staff_id=shop.alex, now=booked_on)
    # Tuesday 3 November, EST (UTC-5).
    after = await book(db, shop, "2026-11-03", "10:00", staff_id=shop.alex, now=booked_on)
    async with db.read() as session:
        stored = dict((await session.execute(select(Appointment.id, Appointment.starts_at))).all())
    assert stored == {
        before: datetime(2026, 10, 31, 14, 0, tzinfo=UTC),
        after: datetime(2026, 11, 3, 15, 0, tzinfo=UTC),
    }

    calendar = await fetch_feed(client, await feed_url(client, auth, shop.alex))

    events = events_by_uid(calendar)
    assert set(events) == {f"appt-{before}@booking", f"appt-{after}@booking"}
    for uid, day, utc_hour in ((before, 31, 14), (after, 3, 15)):
        event = events[f"appt-{uid}@booking"]
        month = 10 if day == 31 else 11
        assert event["DTSTART"].params["TZID"] == NEW_YORK
        assert event["DTEND"].params["TZID"] == NEW_YORK
        assert event["DTSTART"].to_ical() == f"2026{month:02d}{day:02d}T100000".encode()
        assert event["DTEND"].to_ical() == f"2026{month:02d}{day:02d}T103000".encode()
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (10, 0)
        assert start.astimezone(UTC) == datetime(2026, month, day, utc_hour, 0, tzinfo=UTC)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == NEW_YORK
    offsets = {(part.name, part["TZOFFSETTO"].to_ical()) for part in zone.subcomponents}
    assert ("DAYLIGHT", "-0400") in offsets and ("STANDARD", "-0500") in offsets
