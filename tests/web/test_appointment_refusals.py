"""Refusals on an appointment's own page, over plain HTTP: cancelling, marking or moving an
appointment that cannot be (already cancelled, not started yet) answers the API's status with
the appointment's page as it now stands and the sentence above its forms, never the generic
error page; nothing changes."""

from __future__ import annotations

import re
from datetime import date, time

import httpx

from booking.db import Database
from booking.models import AppointmentStatus
from booking.services import appointments
from booking.services.appointments import BookingRequest, book
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client

GENERIC = "That cannot be done now"  # the error page's title for a 409


async def _book_ada(db: Database, shop: Shop) -> int:
    request = BookingRequest(
        shop.business_id, shop.ada, date(2026, 12, 1), time(10, 0), shop.sam, shop.haircut
    )
    return (await book(db, request, now=NOW)).id


def alert(html: str) -> str:
    """The sentence the appointment's page shows above its forms."""
    found = re.search(r'<p class="error form-error" role="alert">([^<]+)</p>', html)
    assert found, "the page shows no refusal above its forms"
    return found.group(1)


async def test_cancelling_an_appointment_cancelled_meanwhile_says_so_on_its_page(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A second cancel (from a page opened before the first) answers 409 with the
    appointment's page, now showing it cancelled, and the sentence; no error page."""
    booked = await _book_ada(db, shop)
    client, csrf = await signed_in_client(web_client, shop.token)
    await appointments.cancel(db, shop.business_id, booked, now=NOW)

    answer = await client.post(f"/admin/appointments/{booked}/cancel", data={"_csrf_token": csrf})

    assert answer.status_code == 409
    assert alert(answer.text) == "This appointment is already cancelled"
    assert 'data-status="cancelled"' in answer.text
    assert "Haircut with Sam" in answer.text
    assert GENERIC not in answer.text


async def test_marking_before_the_start_is_refused_on_the_page_and_changes_nothing(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Marking a booked appointment completed before it starts answers 409 on its page, with
    the move form still there; it stays booked. A status the form does not offer is 422 on
    the same page."""
    booked = await _book_ada(db, shop)
    client, csrf = await signed_in_client(web_client, shop.token)

    early = await client.post(
        f"/admin/appointments/{booked}/status", data={"_csrf_token": csrf, "status": "completed"}
    )

    assert early.status_code == 409
    assert alert(early.text) == "An appointment can be marked completed only once it has started"
    assert f'action="/admin/appointments/{booked}/move"' in early.text
    assert GENERIC not in early.text
    found = await appointments.get_appointment(db, shop.business_id, booked)
    assert found.status == AppointmentStatus.BOOKED
    odd = await client.post(
        f"/admin/appointments/{booked}/status", data={"_csrf_token": csrf, "status": "booked"}
    )
    assert odd.status_code == 422
    assert alert(odd.text) == "Status: must be completed or no_show"


async def test_a_cancelled_appointment_cannot_be_marked_or_moved_said_on_its_page(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A cancelled appointment's status cannot change and it cannot be moved: each answers
    409 with its page and the reason, and it stays cancelled at its time."""
    booked = await _book_ada(db, shop)
    await appointments.cancel(db, shop.business_id, booked, now=NOW)
    client, csrf = await signed_in_client(web_client, shop.token)

    marked = await client.post(
        f"/admin/appointments/{booked}/status", data={"_csrf_token": csrf, "status": "no_show"}
    )
    moved = await client.post(
        f"/admin/appointments/{booked}/move",
        data={"_csrf_token": csrf, "appointment_date": "2026-12-01", "appointment_time": "11:00"},
    )

    assert marked.status_code == 409
    assert alert(marked.text) == "A cancelled appointment cannot be marked no_show"
    assert moved.status_code == 409
    assert alert(moved.text) == "Only a booked appointment can be moved; this one is cancelled"
    for answer in (marked, moved):
        assert 'data-status="cancelled"' in answer.text and GENERIC not in answer.text
    found = await appointments.get_appointment(db, shop.business_id, booked)
    assert found.status == AppointmentStatus.CANCELLED
    assert found.local_time == time(10, 0)
