"""The book's pages over plain HTTP: ids of another business are not found, a taken time
offers the nearest free ones, errors sit beside their fields, and staff sessions see the same
book (the pages call the API's service functions)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import httpx

from booking.api.app import create_app
from booking.db import Database
from booking.models import AppointmentStatus
from booking.services import appointments, closures, customers, staff
from booking.services.appointment_queries import list_appointments
from booking.services.appointments import BookingRequest, book
from booking.services.customer_directory import search_customers
from booking.services.pagination import PageRequest
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.web.conftest import csrf_of, signed_in_client

TUESDAY = "2026-12-01"


async def _book_ada(db: Database, shop: Shop, at: str = "10:00") -> int:
    hours, minutes = (int(p) for p in at.split(":"))
    booked = await book(
        db,
        BookingRequest(shop.business_id, shop.ada, date(2026, 12, 1), time(hours, minutes),
                       shop.sam, shop.haircut),
        now=NOW,
    )  # fmt: skip
    return booked.id


async def test_another_business_appointment_is_not_found(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Signed in to one business, the page, move, cancel and status of another business's
    appointment all answer 404, and the appointment is left as it was."""
    other = await make_shop(db, name="Other Salon", number="+12125550111")
    theirs = await _book_ada(db, other)
    client, csrf = await signed_in_client(web_client, shop.token)
    assert (await client.get(f"/admin/appointments/{theirs}")).status_code == 404
    assert (await client.get(f"/admin/appointments/{theirs}/free?appointment_date={TUESDAY}")
            ).status_code == 404  # fmt: skip
    moved = await client.post(
        f"/admin/appointments/{theirs}/move",
        data={"_csrf_token": csrf, "appointment_date": TUESDAY, "appointment_time": "11:00"},
    )
    assert moved.status_code == 404
    cancelled = await client.post(
        f"/admin/appointments/{theirs}/cancel", data={"_csrf_token": csrf}
    )
    assert cancelled.status_code == 404
    assert "Not found" in cancelled.text
    still = await appointments.get_appointment(db, other.business_id, theirs)
    assert still.status == AppointmentStatus.BOOKED
    assert still.local_time.isoformat() == "10:00:00"


async def test_a_taken_time_offers_the_nearest_free_ones(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Booking Sam at 10:00 on a page opened before someone else took it: 409, the reason
    next to the times, and the nearest free times around 10:00 offered instead; nothing
    booked twice."""
    await _book_ada(db, shop, "10:00")
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(
        "/admin/book",
        data={
            "_csrf_token": csrf,
            "service_id": str(shop.haircut),
            "staff_id": str(shop.sam),
            "appointment_date": TUESDAY,
            "slot": f"10:00|{shop.sam}",
            "customer_id": str(shop.ada),
        },
    )
    assert answer.status_code == 409
    assert 'id="e-appointment_time"' in answer.text
    assert "no longer free" in answer.text
    offered = re.findall(r'name="slot" value="(\d\d:\d\d)\|', answer.text)
    # a haircut blocks 30 + 10 minutes: 09:15 is the last start before 10:00, 10:45 the first after
    assert offered == ["09:00", "09:15", "10:45", "11:00", "11:15", "11:30"]
    listed = await list_appointments(db, shop.business_id, start_date=None)
    assert len(listed.items) == 1


async def test_a_refused_time_for_a_new_customer_leaves_no_customer_behind(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A new customer booked at a time taken meanwhile: 409 with the nearest free times, the
    form still holding the new customer's name and number, and no customer stored; booking
    one of the offered times then stores them once, with the appointment."""
    await _book_ada(db, shop, "10:00")
    client, csrf = await signed_in_client(web_client, shop.token)
    data = {
        "_csrf_token": csrf,
        "service_id": str(shop.haircut),
        "staff_id": str(shop.sam),
        "appointment_date": TUESDAY,
        "slot": f"10:00|{shop.sam}",
        "customer_id": "new",
        "name": "Grace Hopper",
        "phone": "(212) 555-0142",
    }
    refused = await client.post("/admin/book", data=data)
    assert refused.status_code == 409
    assert "no longer free" in refused.text
    assert 'value="Grace Hopper"' in refused.text and 'value="(212) 555-0142"' in refused.text
    assert 'name="customer_id" value="new" checked' in refused.text
    assert await customers.find_by_phone(db, shop.business_id, "212-555-0142") is None
    booked = await client.post("/admin/book", data={**data, "slot": f"10:45|{shop.sam}"})
    assert booked.status_code == 303
    grace = await customers.find_by_phone(db, shop.business_id, "212-555-0142")
    assert grace is not None
    mine = await list_appointments(db, shop.business_id, customer_id=grace.id)
    assert [a.local_time.isoformat() for a in mine.items] == ["10:45:00"]
    found = await search_customers(db, shop.business_id, "Grace", PageRequest())
    assert found.total == 1


async def test_errors_are_shown_next_to_their_fields(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A booking form with no service, no time and a new customer without a phone comes back
    422 with each message beside its field, and what was typed kept."""
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(
        "/admin/book",
        data={
            "_csrf_token": csrf,
            "appointment_date": TUESDAY,
            "customer_id": "new",
            "name": "Grace Hopper",
        },
    )
    assert answer.status_code == 422
    for field in ("service_id", "appointment_time", "phone"):
        assert f'id="e-{field}"' in answer.text
    assert 'id="e-name"' not in answer.text
    assert 'value="Grace Hopper"' in answer.text
    bad_phone = await client.post(
        "/admin/book",
        data={
            "_csrf_token": csrf,
            "service_id": str(shop.haircut),
            "appointment_date": TUESDAY,
            "slot": f"09:00|{shop.sam}",
            "customer_id": "new",
            "name": "Grace Hopper",
            "phone": "12",
        },
    )
    assert bad_phone.status_code == 422
    assert 'id="e-phone"' in bad_phone.text


async def test_a_move_to_a_taken_time_is_refused_and_leaves_it(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Moving an appointment onto another booking answers 409 saying the time is taken (not
    "no longer free": the owner chose it) with nearest free times, and leaves both
    appointments where they were; a free time moves it."""
    first = await _book_ada(db, shop, "10:00")
    second = await _book_ada(db, shop, "11:00")
    client, csrf = await signed_in_client(web_client, shop.token)
    refused = await client.post(
        f"/admin/appointments/{second}/move",
        data={"_csrf_token": csrf, "appointment_date": TUESDAY, "appointment_time": "10:15"},
    )
    assert refused.status_code == 409
    assert "that time is taken (by another booking, or in the staff member&#39;s own" in (
        refused.text
    )
    assert "no longer free" not in refused.text
    assert "Nearest free times" in refused.text
    kept = await appointments.get_appointment(db, shop.business_id, second)
    assert kept.local_time.isoformat() == "11:00:00"
    moved = await client.post(
        f"/admin/appointments/{second}/move",
        data={"_csrf_token": csrf, "appointment_date": TUESDAY, "appointment_time": "14:00"},
    )
    assert moved.status_code == 303
    assert (await appointments.get_appointment(db, shop.business_id, second)).local_time.hour == 14
    assert (await appointments.get_appointment(db, shop.business_id, first)).local_time.hour == 10


async def test_marking_follows_the_state_machine(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """An appointment that has not started cannot be marked completed (409, said on its
    page); the status field accepts only completed or no_show."""
    booked = await _book_ada(db, shop)
    client, csrf = await signed_in_client(web_client, shop.token)
    early = await client.post(
        f"/admin/appointments/{booked}/status", data={"_csrf_token": csrf, "status": "completed"}
    )
    assert early.status_code == 409
    assert "only once it has started" in early.text
    odd = await client.post(
        f"/admin/appointments/{booked}/status", data={"_csrf_token": csrf, "status": "booked"}
    )
    assert odd.status_code == 422


async def test_today_and_week_render_the_book(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Today (the business's date by the app's clock) and a chosen day and week show the
    appointments booked for them; a malformed day is a 422 naming it."""
    await _book_ada(db, shop)
    client, _ = await signed_in_client(web_client, shop.token)
    today = await client.get("/admin/today")
    assert today.status_code == 200
    assert "Monday 30 November 2026" in today.text
    tuesday = await client.get(f"/admin/today?day={TUESDAY}")
    assert "10:00–10:30" in tuesday.text
    week = await client.get("/admin/week?day=2026-12-03")
    assert week.text.count('class="sheet"') == 7
    assert "Ada" in week.text
    bad = await client.get("/admin/today?day=someday")
    assert bad.status_code == 422
    assert "day" in bad.text


async def test_signed_in_pages_carry_the_csrf_token_for_htmx(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """Every page sends htmx's requests with the CSRF header (hx-headers on the body)."""
    client, _ = await signed_in_client(web_client, shop.token)
    body = (await client.get("/admin/today")).text
    header = re.search(r"hx-headers='\{\"x-csrftoken\": \"([0-9a-f]+)\"\}'", body)
    assert header
    assert header.group(1) == csrf_of(body)


async def test_the_vendored_script_and_its_licence_are_served(
    web_client: httpx.AsyncClient,
) -> None:
    """htmx and its licence come from the package itself (no network, no build step), to
    anyone, signed in or not: the sign-in page needs them."""
    script = await web_client.get("/admin/static/vendor/htmx.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert b"htmx" in script.content[:2000]
    licence = await web_client.get("/admin/static/vendor/htmx.LICENSE")
    assert licence.status_code == 200
    assert "Zero-Clause BSD" in licence.text


async def test_a_double_submitted_booking_books_once(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The booking form carries an idempotency key: sent twice (a double click, a resend),
    it books once and both answers lead to the same appointment."""
    client, csrf = await signed_in_client(web_client, shop.token)
    form = (
        await client.get(f"/admin/book?service_id={shop.haircut}&appointment_date={TUESDAY}")
    ).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert key
    data = {
        "_csrf_token": csrf,
        "idempotency_key": key.group(1),
        "service_id": str(shop.haircut),
        "appointment_date": TUESDAY,
        "slot": f"09:00|{shop.sam}",
        "customer_id": str(shop.ada),
    }
    first = await client.post("/admin/book", data=data)
    second = await client.post("/admin/book", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    listed = await list_appointments(db, shop.business_id)
    assert len(listed.items) == 1


async def test_sign_in_returns_to_the_page_asked_for_and_nowhere_else(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A page opened without a session sends the browser to sign in and back to that page
    afterwards; a `next` pointing at another site leads to /admin instead."""
    asked = await web_client.get("/admin/week?day=2026-12-03")
    assert asked.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Fweek%3Fday%3D2026-12-03"
    form = await web_client.get(asked.headers["location"])
    csrf = csrf_of(form.text)
    assert 'name="next" value="/admin/week?day=2026-12-03"' in form.text
    back = await web_client.post(
        "/admin/sign-in",
        data={"_csrf_token": csrf, "token": shop.token, "next": "/admin/week?day=2026-12-03"},
    )
    assert back.headers["location"] == "/admin/week?day=2026-12-03"
    for elsewhere in ("//evil.example/admin", "https://evil.example/admin", "/api/customers"):
        away = await web_client.post(
            "/admin/sign-in", data={"_csrf_token": csrf, "token": shop.token, "next": elsewhere}
        )
        assert away.headers["location"] == "/admin"


async def test_the_page_draws_closures_and_the_clock_change(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A closed day says so, with its reason, and shades every lane; on the night the clocks
    go back the hour marks read 00:00, 01:00, 01:00, 02:00 (the repeated hour shown twice)."""
    await closures.add_closure(
        db, shop.business_id, date(2026, 12, 24), date(2026, 12, 25), "Holidays"
    )
    await staff.add_override(
        db, shop.business_id, shop.sam, date(2027, 11, 7), [(time(0), time(6))], now=NOW
    )
    client, _ = await signed_in_client(web_client, shop.token)
    closed = (await client.get("/admin/today?day=2026-12-24")).text
    assert "Closed: Holidays" in closed
    assert closed.count('class="lane closed"') == 2
    fall = (await client.get("/admin/today?day=2027-11-07")).text
    marks = re.findall(r'<span class="tick"[^>]*>(\d\d:\d\d)</span>', fall)
    assert marks[:4] == ["00:00", "01:00", "01:00", "02:00"]


async def test_a_started_appointment_is_marked_completed_then_no_show(
    db: Database, shop: Shop
) -> None:
    """A day after it, the appointment's page marks it completed, then no-show instead, as the
    API's state machine allows; a cancelled one cannot be marked at all."""
    booked = await _book_ada(db, shop)
    other = await _book_ada(db, shop, "14:00")
    await appointments.cancel(db, shop.business_id, other, now=NOW)
    later = create_app(db, clock=lambda: NOW + timedelta(days=2))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=later), base_url="http://testserver"
    ) as client:
        _, csrf = await signed_in_client(client, shop.token)
        page = (await client.get(f"/admin/appointments/{booked}")).text
        assert "Mark completed" in page
        done = await client.post(
            f"/admin/appointments/{booked}/status",
            data={"_csrf_token": csrf, "status": "completed"},
        )
        assert done.status_code == 303
        found = await appointments.get_appointment(db, shop.business_id, booked)
        assert found.status == AppointmentStatus.COMPLETED
        swapped = await client.post(
            f"/admin/appointments/{booked}/status",
            data={"_csrf_token": csrf, "status": "no_show"},
        )
        assert swapped.status_code == 303
        found = await appointments.get_appointment(db, shop.business_id, booked)
        assert found.status == AppointmentStatus.NO_SHOW
        refused = await client.post(
            f"/admin/appointments/{other}/status",
            data={"_csrf_token": csrf, "status": "completed"},
        )
        assert refused.status_code == 409
        assert "cannot be marked" in refused.text


async def test_free_times_for_a_move_count_its_own_time_as_free(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Moving Ada's 10:00 haircut, the free times of that day include 10:15 (which only her
    own booking blocks) and not 11:00's neighbours taken by someone else; picking 10:15
    moves it."""
    booked = await _book_ada(db, shop, "10:00")
    await _book_ada(db, shop, "11:00")
    client, csrf = await signed_in_client(web_client, shop.token)
    free = await client.get(
        f"/admin/appointments/{booked}/free?appointment_date={TUESDAY}&staff_id={shop.sam}",
        headers={"HX-Request": "true"},
    )
    offered = re.findall(r'name="appointment_time" value="(\d\d:\d\d)"', free.text)
    assert "10:00" in offered and "10:15" in offered
    assert "10:45" not in offered and "11:00" not in offered
    moved = await client.post(
        f"/admin/appointments/{booked}/move",
        data={"_csrf_token": csrf, "appointment_date": TUESDAY, "appointment_time": "10:15"},
    )
    assert moved.status_code == 303
    found = await appointments.get_appointment(db, shop.business_id, booked)
    assert found.local_time == time(10, 15)


async def test_htmx_requests_get_errors_and_sign_in_in_their_own_shape(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A partial load that fails answers a message for the page's flash area (retargeted
    there), not a whole error page; one whose session has ended tells htmx to go to the
    sign-in page."""
    htmx = {"HX-Request": "true"}
    ended = await web_client.get("/admin/appointments/1", headers=htmx)
    assert ended.status_code == 200
    assert ended.headers["hx-redirect"].startswith("/admin/sign-in")
    client, _ = await signed_in_client(web_client, shop.token)
    missing = await client.get("/admin/appointments/999999", headers=htmx)
    assert missing.status_code == 404
    assert missing.headers["hx-retarget"] == "#flash"
    assert "<html" not in missing.text
    assert "No appointment with id 999999." in missing.text
