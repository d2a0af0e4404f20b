"""The Calls pages over plain HTTP: the log and its filters, one call in full, and another
business's call answering 404."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from booking.db import Database
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client
from tests.web.pages_seed import TRANSCRIPT, recorded_call


async def test_a_calls_page_shows_its_transcript_tool_calls_and_what_it_booked(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """One call's page has every turn of the transcript, each tool call with its arguments,
    result and latency, and a link to the appointment it booked, at its local time."""
    call_id, booked = await recorded_call(db, shop, NOW - timedelta(minutes=30))
    assert booked is not None
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get(f"/admin/calls/{call_id}")
    assert answer.status_code == 200
    html = answer.text
    for _, text in TRANSCRIPT:
        assert text.replace("'", "&#39;") in html
    assert "check_availability" in html and "23 ms" in html
    assert "&#34;service&#34;: &#34;Haircut&#34;" in html  # the arguments, escaped JSON
    assert "Booked appointment" in html and "41 ms" in html
    assert f'href="/admin/appointments/{booked.id}"' in html
    assert "Tue 1 Dec 2026, 10:00" in html  # New York time, not UTC
    assert "2 min 05 s" in html


async def test_the_call_log_filters_by_outcome_dates_and_number(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The log lists calls newest first and narrows them by outcome, local date range and
    the caller's number in any format."""
    booked_call, _ = await recorded_call(db, shop, NOW - timedelta(days=6))
    info_call, _ = await recorded_call(
        db, shop, NOW - timedelta(hours=1), book_at=None, caller="+12125550147"
    )
    client, _ = await signed_in_client(web_client, shop.token)

    def listed(html: str) -> list[int]:
        return [i for i in (booked_call, info_call) if f'href="/admin/calls/{i}"' in html]

    everything = await client.get("/admin/calls")
    assert listed(everything.text) == [booked_call, info_call]
    assert everything.text.index(f"/admin/calls/{info_call}") < everything.text.index(
        f"/admin/calls/{booked_call}"
    )
    booked = await client.get("/admin/calls", params={"outcome": "booked"})
    assert listed(booked.text) == [booked_call]
    today = await client.get("/admin/calls", params={"start_date": "2026-11-30"})
    assert listed(today.text) == [info_call]
    by_number = await client.get("/admin/calls", params={"number": "(212) 555-0147"})
    assert listed(by_number.text) == [info_call]


async def test_bad_filters_are_named_beside_their_fields(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """An unknown outcome and an impossible date are refused with 422, each message beside
    its own field, and no stack trace."""
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get(
        "/admin/calls", params={"outcome": "exploded", "start_date": "2026-02-30"}
    )
    assert answer.status_code == 422
    assert 'id="e-outcome"' in answer.text and 'id="e-start_date"' in answer.text
    assert "Traceback" not in answer.text
    short = await client.get("/admin/calls", params={"number": "12"})
    assert short.status_code == 422
    assert 'id="e-number">give a phone number, or at least four of its digits' in short.text


async def test_another_business_call_is_not_found(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A call of another business answers 404 and shows nothing of it."""
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    theirs, _ = await recorded_call(db, other, NOW - timedelta(minutes=5))
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get(f"/admin/calls/{theirs}")
    assert answer.status_code == 404
    assert TRANSCRIPT[1][1].replace("'", "&#39;") not in answer.text
    assert f"/admin/calls/{theirs}" not in (await client.get("/admin/calls")).text


async def test_the_call_log_comes_a_page_at_a_time(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Thirty calls fill a first page of 25 with a link to the second, which holds the oldest
    five and keeps the filter; a page number that is not one is refused beside nothing else."""
    made = [
        (await recorded_call(db, shop, NOW - timedelta(minutes=10 * i), book_at=None))[0]
        for i in range(1, 31)
    ]
    client, _ = await signed_in_client(web_client, shop.token)
    first = await client.get("/admin/calls", params={"outcome": "info"})
    shown = [int(i) for i in re.findall(r'href="/admin/calls/(\d+)"', first.text)]
    assert shown == made[:25]
    assert 'href="/admin/calls?outcome=info&amp;page=2"' in first.text
    assert "Page 1 of 2 (30 in all)" in first.text
    second = await client.get("/admin/calls", params={"outcome": "info", "page": "2"})
    assert [int(i) for i in re.findall(r'href="/admin/calls/(\d+)"', second.text)] == made[25:]
    bad = await client.get("/admin/calls", params={"page": "two"})
    assert bad.status_code == 422 and "page: must be a whole number" in bad.text
