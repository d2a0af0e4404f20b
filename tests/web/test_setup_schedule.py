"""Setup over plain HTTP, a staff member's schedule: weekly hours with a lunch break change
the free times the page shows, errors sit beside the interval they belong to, date
overrides, and changes that would strand bookings offer the API's choices."""

from __future__ import annotations

import re
from datetime import date, time

import httpx

from booking.db import Database
from booking.models import Appointment, AppointmentStatus
from booking.services import appointments, staff
from booking.services.appointments import AppointmentInfo, BookingRequest
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client

TUESDAY = date(2026, 12, 1)  # the day after NOW, a Monday


def free_times(html: str) -> list[str]:
    listed = re.search(r'<ul class="slots"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(\d\d:\d\d)</li>", listed.group(1)) if listed else []


def week(**days: list[tuple[str, str]]) -> dict[str, str]:
    """The weekly-hours form's fields: `monday=[("09:00", "12:00"), ...]`."""
    fields = {}
    for day, intervals in days.items():
        for row, (opens, closes) in enumerate(intervals):
            fields[f"{day}-{row}-opens"] = opens
            fields[f"{day}-{row}-closes"] = closes
    return fields


async def book_sam(db: Database, shop: Shop, at: time) -> AppointmentInfo:
    return await appointments.book(
        db,
        BookingRequest(
            business_id=shop.business_id, customer_id=shop.ada, local_date=TUESDAY,
            local_time=at, staff_id=shop.sam, service_id=shop.haircut,
        ),
        now=NOW,
    )  # fmt: skip


async def test_a_lunch_break_takes_its_hour_out_of_the_free_times(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Tuesday 09:00-17:00 offers 12:00; saved as 09:00-12:00 and 13:00-17:00 (two intervals,
    as the API stores them) it offers 11:30 and 13:00 but nothing from 12:00 to 12:45."""
    client, csrf = await signed_in_client(web_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    whole_day = await client.post(
        f"{member}/hours", data={"_csrf_token": csrf, **week(tuesday=[("09:00", "17:00")])}
    )
    assert whole_day.status_code == 303
    before = free_times((await client.get(member, params={"day": TUESDAY.isoformat()})).text)
    assert "12:00" in before and "12:30" in before
    with_lunch = await client.post(
        f"{member}/hours",
        data={"_csrf_token": csrf, **week(tuesday=[("09:00", "12:00"), ("13:00", "17:00")])},
    )
    assert with_lunch.status_code == 303
    stored = await staff.get_staff(db, shop.business_id, shop.sam)
    assert stored.weekly_hours == {1: ((time(9), time(12)), (time(13), time(17)))}
    after = free_times((await client.get(member, params={"day": TUESDAY.isoformat()})).text)
    assert "11:30" in after and "13:00" in after
    assert not {"11:45", "12:00", "12:15", "12:30", "12:45"} & set(after)


async def test_bad_hours_are_shown_beside_their_interval_and_nothing_changes(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """An interval closing before it opens is named on its closing field, overlapping
    intervals on their day, a missing time on its own field; the stored hours stay."""
    client, csrf = await signed_in_client(web_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    backwards = await client.post(
        f"{member}/hours", data={"_csrf_token": csrf, **week(monday=[("12:00", "09:00")])}
    )
    assert backwards.status_code == 422
    assert (  # in the page's words, not the API's field names
        'id="e-monday-0-closes">the closing time 09:00 is not after the opening time 12:00'
        in backwards.text
    )
    assert 'value="12:00"' in backwards.text  # what was typed comes back
    overlapping = await client.post(
        f"{member}/hours",
        data={"_csrf_token": csrf, **week(friday=[("09:00", "13:00"), ("12:00", "17:00")])},
    )
    assert overlapping.status_code == 422
    assert 'id="e-friday">intervals overlap' in overlapping.text
    missing = await client.post(
        f"{member}/hours", data={"_csrf_token": csrf, "monday-1-opens": "10:00"}
    )
    assert missing.status_code == 422
    assert 'id="e-monday-1-closes">is required' in missing.text
    stored = await staff.get_staff(db, shop.business_id, shop.sam)
    assert stored.weekly_hours[0] == ((time(9), time(12)), (time(13), time(17)))


async def test_hours_that_would_strand_a_booking_list_it_and_offer_keep_or_cancel(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Afternoon-only Tuesday hours would leave Ada's 10:00 outside them: the page answers
    409 listing it with the API's choices, changes nothing, and "keep" then saves the hours
    and keeps the booking, flagged outside hours."""
    booked = await book_sam(db, shop, time(10))
    client, csrf = await signed_in_client(web_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    afternoons = week(**{d: [("13:00", "17:00")] for d in ("monday", "tuesday")})
    refused = await client.post(f"{member}/hours", data={"_csrf_token": csrf, **afternoons})
    assert refused.status_code == 409
    assert f'href="/admin/appointments/{booked.id}">Tue 1 Dec 2026, 10:00</a>, Ada with Sam' in (
        refused.text
    )
    assert 'name="on_affected" value="cancel"' in refused.text
    assert 'name="on_affected" value="keep"' in refused.text
    unchanged = await staff.get_staff(db, shop.business_id, shop.sam)
    assert unchanged.weekly_hours[1][0] == (time(9), time(12))
    kept = await client.post(
        f"{member}/hours", data={"_csrf_token": csrf, **afternoons, "on_affected": "keep"}
    )
    assert kept.status_code == 303
    changed = await staff.get_staff(db, shop.business_id, shop.sam)
    assert changed.weekly_hours[1] == ((time(13), time(17)),)
    async with db.read() as session:
        row = await session.get(Appointment, booked.id)
        assert row is not None
        assert row.status == AppointmentStatus.BOOKED and row.outside_hours


async def test_a_day_off_cancels_the_booking_it_strands_when_told_to(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A day off over a booking is refused with the list; sent again with "cancel" it is
    set, the booking is cancelled, no free times are shown that day, and removing the day
    off brings them back."""
    booked = await book_sam(db, shop, time(14))
    client, csrf = await signed_in_client(web_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    day_off = {"_csrf_token": csrf, "date": TUESDAY.isoformat(), "reason": "Training"}
    refused = await client.post(f"{member}/overrides", data=day_off)
    assert refused.status_code == 409 and "Tue 1 Dec 2026, 14:00" in refused.text
    cancelled = await client.post(f"{member}/overrides", data={**day_off, "on_affected": "cancel"})
    assert cancelled.status_code == 303
    async with db.read() as session:
        row = await session.get(Appointment, booked.id)
        assert row is not None and row.status == AppointmentStatus.CANCELLED
    page = await client.get(member, params={"day": TUESDAY.isoformat()})
    assert "Tue 1 Dec 2026: day off (Training)" in page.text
    assert free_times(page.text) == []
    removed = await client.post(
        f"{member}/overrides/{TUESDAY.isoformat()}/delete",
        data={"_csrf_token": csrf, "confirm": "yes"},
    )
    assert removed.status_code == 303
    again = await client.get(member, params={"day": TUESDAY.isoformat()})
    assert "14:00" in free_times(again.text)


async def test_special_hours_for_one_date_are_read_like_the_api(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Special hours are stored for that date only; a missing date and a backwards interval
    are named beside their fields."""
    client, csrf = await signed_in_client(web_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    bad = await client.post(
        f"{member}/overrides",
        data={"_csrf_token": csrf, "override-0-opens": "15:00", "override-0-closes": "11:00"},
    )
    assert bad.status_code == 422
    assert 'id="e-date"' in bad.text and 'id="e-override-0-closes"' in bad.text
    good = await client.post(
        f"{member}/overrides",
        data={"_csrf_token": csrf, "date": TUESDAY.isoformat(),
              "override-0-opens": "11:00", "override-0-closes": "15:00"},
    )  # fmt: skip
    assert good.status_code == 303
    found = await staff.list_overrides(db, shop.business_id, shop.sam)
    assert [(o.on_date, o.intervals) for o in found] == [(TUESDAY, ((time(11), time(15)),))]


async def test_another_business_staff_member_is_not_found(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Another business's staff member cannot be read or have their hours changed."""
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    client, csrf = await signed_in_client(web_client, shop.token)
    assert (await client.get(f"/admin/setup/staff/{other.sam}")).status_code == 404
    changed = await client.post(
        f"/admin/setup/staff/{other.sam}/hours",
        data={"_csrf_token": csrf, **week(sunday=[("09:00", "10:00")])},
    )
    assert changed.status_code == 404
    assert 6 not in (await staff.get_staff(db, other.business_id, other.sam)).weekly_hours


async def test_a_member_leaving_with_bookings_ahead_is_refused_then_cancels_them(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Unticking "takes bookings" for Sam with a booking ahead lists it (409) and changes
    nothing; with "cancel" Sam is inactive and the booking cancelled."""
    booked = await book_sam(db, shop, time(15))
    client, csrf = await signed_in_client(web_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    leaving = {"_csrf_token": csrf, "name": "Sam",
               "service_ids": [str(shop.haircut), str(shop.trim)]}  # fmt: skip
    refused = await client.post(member, data=leaving)
    assert refused.status_code == 409
    assert "Tue 1 Dec 2026, 15:00</a>, Ada with Sam: Sam no longer takes bookings" in refused.text
    assert (await staff.get_staff(db, shop.business_id, shop.sam)).active
    done = await client.post(member, data={**leaving, "on_affected": "cancel"})
    assert done.status_code == 303
    assert not (await staff.get_staff(db, shop.business_id, shop.sam)).active
    async with db.read() as session:
        row = await session.get(Appointment, booked.id)
        assert row is not None and row.status == AppointmentStatus.CANCELLED
