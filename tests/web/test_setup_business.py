"""Setup over plain HTTP, the business: settings, closures and services, each through the
API's bodies and services, with errors beside their fields."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import httpx

from booking.db import Database
from booking.models import Appointment, AppointmentStatus
from booking.services import appointments, businesses, closures, staff
from booking.services.appointments import BookingRequest
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import csrf_of, signed_in_client


def form_of(html: str) -> dict[str, str]:
    """The business form's fields as the page filled them in."""
    fields = dict(
        re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', html)
    )
    numbers = re.search(r'<textarea id="f-numbers" name="numbers"[^>]*>([^<]*)</textarea>', html)
    fields["numbers"] = numbers.group(1) if numbers else ""
    return fields


async def test_the_owner_changes_settings_and_sees_each_bad_field_named(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The form comes filled with the stored settings; a changed slot step and quiet hours
    are stored; an unknown time zone and a too-small slot step are both named at once."""
    client, _ = await signed_in_client(web_client, shop.token)
    shown = await client.get("/admin/setup/business")
    values = form_of(shown.text)
    assert values["timezone"] == "America/New_York" and values["quiet_from_minute"] == "21:00"
    csrf = csrf_of(shown.text)
    bad = await client.post(
        "/admin/setup/business",
        data={**values, "_csrf_token": csrf, "timezone": "Mars/Olympus", "slot_step_minutes": "3"},
    )
    assert bad.status_code == 422
    assert 'id="e-timezone"' in bad.text and 'id="e-slot_step_minutes"' in bad.text
    saved = await client.post(
        "/admin/setup/business",
        data={**values, "_csrf_token": csrf, "slot_step_minutes": "30",
              "quiet_from_minute": "22:30"},
    )  # fmt: skip
    assert saved.status_code == 303
    stored = await businesses.get_business(db, shop.business_id)
    assert stored.slot_step_minutes == 30 and stored.quiet_from_minute == 22 * 60 + 30
    assert stored.timezone == "America/New_York" and stored.numbers == ("+12125550100",)


async def test_a_closure_over_a_booking_is_refused_then_cancels_it_when_told(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Closing a day with a booking on it answers 409 listing the booking; with "cancel"
    the closure is made, the booking cancelled, and the closure listed; it can be removed."""
    day = date(2026, 12, 2)
    booked = await appointments.book(
        db,
        BookingRequest(
            business_id=shop.business_id, customer_id=shop.ada, local_date=day,
            local_time=time(11), staff_id=shop.alex, service_id=shop.trim,
        ),
        now=NOW,
    )  # fmt: skip
    client, csrf = await signed_in_client(web_client, shop.token)
    closing = {"_csrf_token": csrf, "starts_on": day.isoformat(), "reason": "Holiday"}
    refused = await client.post("/admin/setup/closures", data=closing)
    assert refused.status_code == 409 and "Wed 2 Dec 2026, 11:00" in refused.text
    assert await closures.list_closures(db, shop.business_id) == []
    done = await client.post("/admin/setup/closures", data={**closing, "on_affected": "cancel"})
    assert done.status_code == 303
    [closure] = await closures.list_closures(db, shop.business_id)
    assert (closure.starts_on, closure.ends_on, closure.reason) == (day, day, "Holiday")
    async with db.read() as session:
        row = await session.get(Appointment, booked.id)
        assert row is not None and row.status == AppointmentStatus.CANCELLED
    listed = await client.get("/admin/setup/closures")
    assert "Wed 2 Dec 2026" in listed.text and "Holiday" in listed.text
    reopened = await client.post(
        f"/admin/setup/closures/{closure.id}/delete", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert reopened.status_code == 303
    assert await closures.list_closures(db, shop.business_id) == []


async def test_a_closure_ending_before_it_starts_is_named(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The service's rule, shown beside the last day's field in the page's words (not the
    API's field name)."""
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(
        "/admin/setup/closures",
        data={"_csrf_token": csrf, "starts_on": "2026-12-10", "ends_on": "2026-12-09"},
    )
    assert answer.status_code == 422
    assert 'id="e-ends_on">must not be before the first day' in answer.text


async def test_services_are_added_changed_and_retired(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A service too short is refused beside its duration; a good one is added with its
    price; unticking "offered" retires it and it stays listed as retired."""
    client, csrf = await signed_in_client(web_client, shop.token)
    short = await client.post(
        "/admin/setup/services",
        data={"_csrf_token": csrf, "name": "Shave", "duration_minutes": "2", "buffer_minutes": "0"},
    )
    assert short.status_code == 422 and 'id="e-duration_minutes"' in short.text
    added = await client.post(
        "/admin/setup/services",
        data={"_csrf_token": csrf, "name": "Shave", "duration_minutes": "20",
              "buffer_minutes": "5", "price_minor": "1500", "currency": "usd"},
    )  # fmt: skip
    assert added.status_code == 303
    [shave] = [s for s in await staff.list_services(db, shop.business_id) if s.name == "Shave"]
    assert (shave.duration_minutes, shave.buffer_minutes, shave.price_minor, shave.currency) == (
        20, 5, 1500, "USD"
    )  # fmt: skip
    retired = await client.post(
        f"/admin/setup/services/{shave.id}",
        data={"_csrf_token": csrf, "name": "Shave", "duration_minutes": "25",
              "buffer_minutes": "5"},
    )  # fmt: skip
    assert retired.status_code == 303
    stored = await staff.get_service(db, shop.business_id, shave.id)
    assert stored.active is False and stored.duration_minutes == 25 and stored.price_minor == 1500
    assert "retired" in (await client.get("/admin/setup/services")).text


async def test_a_new_time_zone_with_bookings_ahead_asks_what_they_keep(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """With a booking ahead, a new time zone alone is refused with the API's reason and
    nothing changes; choosing "keep their local times" moves the booking to the same clock
    time in the new zone."""
    booked = await appointments.book(
        db,
        BookingRequest(
            business_id=shop.business_id, customer_id=shop.ada, local_date=date(2026, 12, 2),
            local_time=time(11), staff_id=shop.sam, service_id=shop.trim,
        ),
        now=NOW,
    )  # fmt: skip
    client, _ = await signed_in_client(web_client, shop.token)
    shown = await client.get("/admin/setup/business")
    values = {**form_of(shown.text), "_csrf_token": csrf_of(shown.text)}
    chicago = {**values, "timezone": "America/Chicago"}
    refused = await client.post("/admin/setup/business", data=chicago)
    assert refused.status_code == 422
    assert "say whether they keep their local times" in refused.text
    assert (await businesses.get_business(db, shop.business_id)).timezone == "America/New_York"
    moved = await client.post(
        "/admin/setup/business", data={**chicago, "appointments_keep": "local_times"}
    )
    assert moved.status_code == 303
    assert (await businesses.get_business(db, shop.business_id)).timezone == "America/Chicago"
    after = await appointments.get_appointment(db, shop.business_id, booked.id)
    assert after.local_time == time(11) and after.starts_at == booked.starts_at + timedelta(hours=1)
