"""What a new owner trips on, over plain HTTP: the book shows the times a staff member's own
calendar holds (so a white stretch that is not offered is explained), the cancel confirmation
speaks of the customer's notice rather than of the API, every page's icon exists, a
calendar address on the local network is refused with what to set to allow it, a calendar
that cannot be read says so in plain words, and numbers and days read as people write them."""

from __future__ import annotations

import re
import socket
from datetime import date, time

import httpx

from booking.db import Database
from booking.models import CalendarConnection
from booking.services import calendar_connections
from booking.services.appointment_queries import list_appointments
from booking.services.appointments import BookingRequest, book
from booking.services.phones import readable_phone
from tests.calendars.ics_server import IcsServer
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client


async def test_the_book_shows_busy_times_from_a_staff_members_calendar(
    local_client: httpx.AsyncClient, db: Database, shop: Shop, feed: IcsServer
) -> None:
    """After Sam's calendar is synced, Today on Tuesday 1 December shows his weekly standup
    (10:00-11:00 New York time) as busy in his calendar, named after it, and Week shows it
    too; Alex, who connected nothing, shows no busy time."""
    client, csrf = await signed_in_client(local_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    await client.post(
        f"{member}/calendars",
        data={"_csrf_token": csrf, "kind": "ics", "url": feed.url, "name": "Sam's Google"},
    )
    [connection] = await calendar_connections.list_connections(db, shop.business_id, shop.sam)
    synced = await client.post(
        f"{member}/calendars/{connection.id}/sync", data={"_csrf_token": csrf}
    )
    assert synced.status_code == 303
    today = await client.get("/admin/today", params={"day": "2026-12-01"})
    assert today.status_code == 200
    assert "Sam busy in their calendar 10:00–11:00" in today.text
    assert "Busy in Sam's calendar &quot;Sam&#39;s Google&quot; 10:00–11:00" in today.text
    assert "Alex busy" not in today.text
    week = await client.get("/admin/week", params={"day": "2026-12-01"})
    assert "Sam busy in their calendar 10:00–11:00" in week.text


async def test_the_cancel_confirmation_says_what_the_customer_gets(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """An appointment's cancel confirmation tells the owner that the customer is sent a
    notice if they agreed to email or texts, and does not talk about "the API"."""
    booked = await book(
        db,
        BookingRequest(shop.business_id, shop.ada, date(2026, 12, 1), time(10), shop.sam,
                       shop.haircut),
        now=NOW,
    )  # fmt: skip
    client, _ = await signed_in_client(web_client, shop.token)
    page = await client.get(f"/admin/appointments/{booked.id}")
    assert page.status_code == 200
    assert "sent a cancellation notice by email or text message" in page.text
    assert "the API" not in page.text


async def test_every_page_names_an_icon_that_exists(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """The sign-in page (and every page, through the same layout) links an icon the server
    serves, so a browser does not ask for a missing /favicon.ico on every page."""
    sign_in = await web_client.get("/admin/sign-in")
    found = re.search(r'<link rel="icon" href="([^"]+)"', sign_in.text)
    assert found is not None
    icon = await web_client.get(found.group(1))
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    client, _ = await signed_in_client(web_client, shop.token)
    assert found.group(0) in (await client.get("/admin/today")).text


async def test_a_local_calendar_address_is_refused_saying_what_to_set(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Without OUTBOUND_ALLOW_PRIVATE, a calendar on 127.0.0.1 is refused beside the address
    field with the setting and value that allow it (and that the server must restart), the
    typed address is kept, and nothing is connected."""
    client, csrf = await signed_in_client(web_client, shop.token)
    url = "http://127.0.0.1:8765/sam.ics"
    refused = await client.post(
        f"/admin/setup/staff/{shop.sam}/calendars",
        data={"_csrf_token": csrf, "kind": "ics", "url": url, "name": "Phone"},
    )
    assert refused.status_code == 422
    assert "set OUTBOUND_ALLOW_PRIVATE=true in the server&#39;s settings" in refused.text
    assert "restart it" in refused.text
    assert f'value="{url}"' in refused.text
    assert await calendar_connections.list_connections(db, shop.business_id, shop.sam) == []


async def test_phone_numbers_are_shown_as_people_write_them(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """The customer list and a customer's page show Ada's number as "+1 234-567-8900" rather
    than the stored "+12345678900", while the tap-to-call link still dials the stored one."""
    client, _ = await signed_in_client(web_client, shop.token)
    listed = await client.get("/admin/customers", params={"q": "Ada"})
    assert "+1 234-567-8900" in listed.text
    one = await client.get(f"/admin/customers/{shop.ada}")
    assert 'href="tel:+12345678900">+1 234-567-8900</a>' in one.text


def test_a_number_that_does_not_parse_is_shown_as_it_is() -> None:
    """A stored number the library cannot read (an old row, a SIP name) is shown unchanged,
    and a missing one as nothing, so a page never fails on it."""
    assert readable_phone("anonymous") == "anonymous"
    assert readable_phone(None) == ""


async def test_a_staff_members_free_times_name_the_day_in_words(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A staff member's page says which day its free times are for as the owner reads a
    date ("Tuesday 1 December 2026"), not as "2026-12-01"."""
    client, _ = await signed_in_client(web_client, shop.token)
    page = await client.get(f"/admin/setup/staff/{shop.sam}", params={"day": "2026-12-01"})
    assert "30-minute booking on Tuesday 1 December 2026:" in page.text
    assert "2026-12-01:" not in page.text


async def test_a_calendar_that_cannot_be_reached_says_so_in_plain_words(
    local_client: httpx.AsyncClient, db: Database, shop: Shop, feed: IcsServer
) -> None:
    """A feed read once and then gone (its server stopped) shows as its last error that its
    server could not be reached, with no library error names, and that the busy times of its
    last good sync still count; Today still shows them."""
    client, csrf = await signed_in_client(local_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    await client.post(
        f"{member}/calendars",
        data={"_csrf_token": csrf, "kind": "ics", "url": feed.url, "name": "Google"},
    )
    [connection] = await calendar_connections.list_connections(db, shop.business_id, shop.sam)
    await client.post(f"{member}/calendars/{connection.id}/sync", data={"_csrf_token": csrf})
    with socket.socket() as free:  # an address where nothing listens
        free.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{free.getsockname()[1]}/calendar.ics"
    async with db.write() as session:
        row = await session.get(CalendarConnection, connection.id)
        assert row is not None
        row.url = gone  # as if the feed's server went away after the first read
    await client.post(f"{member}/calendars/{connection.id}/sync", data={"_csrf_token": csrf})
    page = await client.get(member)
    assert "could not reach the calendar&#39;s server" in page.text
    assert "ConnectError" not in page.text
    assert "The busy times of its last good sync still count" in page.text
    today = await client.get("/admin/today", params={"day": "2026-12-01"})
    assert "Sam busy in their calendar 10:00–11:00" in today.text


async def test_a_new_customer_with_a_known_number_is_named_not_numbered(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """New booking for a "new" customer whose number Ada already has answers 409 naming Ada
    beside the phone field (no customer id), picks her, and books nothing."""
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(
        "/admin/book",
        data={
            "_csrf_token": csrf, "service_id": str(shop.haircut), "staff_id": str(shop.sam),
            "appointment_date": "2026-12-01", "slot": f"10:00|{shop.sam}",
            "customer_id": "new", "name": "Ada L", "phone": "234-567-8900",
        },
    )  # fmt: skip
    assert answer.status_code == 409
    assert 'id="e-phone">Ada already has this number; they are picked below' in answer.text
    assert "(id " not in answer.text
    assert f'name="customer_id" value="{shop.ada}" checked' in answer.text
    booked = await list_appointments(db, shop.business_id, customer_id=shop.ada)
    assert booked.items == []


async def test_the_error_page_speaks_in_sentences(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """An address that is no page answers 404 with a sentence (capital first letter, full
    stop) and a way back to the start."""
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get("/admin/no-such-page")
    assert answer.status_code == 404
    assert "<p>No page of this site is at that address.</p>" in answer.text
    assert 'href="/admin">Back to the start' in answer.text


async def test_the_erase_page_says_what_goes_in_plain_words(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """Erasing a customer first lists what goes in the owner's words: their number as people
    write it, their calls' transcripts and notes, no "tool arguments"."""
    client, _ = await signed_in_client(web_client, shop.token)
    page = await client.get(f"/admin/customers/{shop.ada}/erase")
    assert page.status_code == 200
    assert "their record and their number (+1 234-567-8900)" in page.text
    assert "the details the receptionist noted during them" in page.text
    assert "tool arguments" not in page.text


async def test_closures_are_listed_with_days_in_words(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A closure saved on the Closures page is listed as "Thu 24 Dec 2026" to "Fri 25 Dec
    2026", not as ISO dates."""
    client, csrf = await signed_in_client(web_client, shop.token)
    saved = await client.post(
        "/admin/setup/closures",
        data={"_csrf_token": csrf, "starts_on": "2026-12-24", "ends_on": "2026-12-25",
              "reason": "Christmas"},
    )  # fmt: skip
    assert saved.status_code == 303
    page = await client.get("/admin/setup/closures")
    assert (
        '<td data-label="From">Thu 24 Dec 2026</td><td data-label="To">Fri 25 Dec 2026</td>'
        '<td data-label="Why">Christmas</td>'
    ) in page.text


async def test_a_day_a_staff_member_does_not_work_says_so(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """On a Saturday Sam (Monday to Friday) is marked "not working" beside his name, while
    Alex, who works Saturdays, is not; a weekday marks neither."""
    client, _ = await signed_in_client(web_client, shop.token)
    saturday = await client.get("/admin/today", params={"day": "2026-12-05"})
    assert 'Sam<span class="muted"> · not working</span>' in saturday.text
    assert 'Alex<span class="muted">' not in saturday.text
    tuesday = await client.get("/admin/today", params={"day": "2026-12-01"})
    assert "not working" not in tuesday.text


async def test_the_sign_in_page_gives_commands_that_work_as_written(
    web_client: httpx.AsyncClient,
) -> None:
    """The sign-in page names the two ways back in with the arguments they need: the
    one-time link, and a new owner token for a business id."""
    page = await web_client.get("/admin/sign-in")
    assert "<code>booking admin-link</code> prints a one-time" in page.text
    assert "<code>booking create-token --business-id 1 --role owner</code>" in page.text


async def test_free_times_of_a_past_day_say_the_day_has_passed(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """New booking's free times for a day before today say that the day has passed, rather
    than that it has no free time; a future day with none still says so."""
    client, _ = await signed_in_client(web_client, shop.token)
    asked = {"service_id": str(shop.haircut), "show": "times"}
    past = await client.get("/admin/book", params={**asked, "appointment_date": "2026-11-24"})
    assert "That day has passed: choose today or a later day." in past.text
    sunday = await client.get("/admin/book", params={**asked, "appointment_date": "2026-12-06"})
    assert "No free time that day." in sunday.text and "has passed" not in sunday.text


async def test_the_book_names_its_time_zone_as_a_place(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """Today and Week say whose clock their times are on as a person would: "New York time",
    with the zone's name beside it."""
    client, _ = await signed_in_client(web_client, shop.token)
    for path in ("/admin/today", "/admin/week"):
        page = await client.get(path)
        assert "Times are New York time (America/New_York)." in page.text
