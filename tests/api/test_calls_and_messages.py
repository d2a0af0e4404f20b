"""The call log and messages over HTTP: filters, pages, one call in full, marking handled."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from booking.api.app import create_app
from booking.models import CallOutcome, Message
from booking.services import calls, customers
from tests.conftest import NOW
from tests.factories import make_shop

PROBLEM = "application/problem+json"


async def record_call(
    db,
    business_id: int,
    started: datetime,
    outcome: CallOutcome = CallOutcome.INFO,
    customer_id: int | None = None,
    minutes: int = 2,
) -> int:
    call_id = await calls.start_call(
        db,
        business_id,
        room_name=f"room-{started:%H%M}",
        caller_number="+12345678900" if customer_id else None,
        dialled_number="+12125550100",
        customer_id=customer_id,
        verified=customer_id is not None,
        now=started,
    )
    await calls.finish_call(db, call_id, outcome, now=started + timedelta(minutes=minutes))
    return call_id


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_calls_are_listed_newest_first_a_page_at_a_time(client, db, shop, auth):
    """Calls come newest first, in pages with the total, like the other lists."""
    oldest = await record_call(db, shop.business_id, NOW - timedelta(hours=3))
    newest = await record_call(db, shop.business_id, NOW - timedelta(hours=1))
    middle = await record_call(db, shop.business_id, NOW - timedelta(hours=2))
    first = await client.get("/api/calls", params={"page_size": 2}, headers=auth)
    assert ids(first) == [newest, middle]
    assert first.json()["total"] == 3
    assert first.json()["page"] == 1 and first.json()["page_size"] == 2
    second = await client.get("/api/calls", params={"page": 2, "page_size": 2}, headers=auth)
    assert ids(second) == [oldest]
    item = first.json()["items"][0]
    assert item["outcome"] == "info"
    assert item["duration_seconds"] == 120
    assert item["started_at"] == "2026-11-30T12:00:00Z"


async def test_calls_are_filtered_by_the_business_local_dates(client, db, shop, auth):
    """start_date and end_date are New York dates: 03:30 UTC on the 29th is the 28th there."""
    late_evening = await record_call(
        db, shop.business_id, datetime.fromisoformat("2026-11-29T03:30Z")
    )
    next_day = await record_call(db, shop.business_id, datetime.fromisoformat("2026-11-29T15:00Z"))
    today = await record_call(db, shop.business_id, NOW)
    on_28th = await client.get(
        "/api/calls", params={"start_date": "2026-11-28", "end_date": "2026-11-28"}, headers=auth
    )
    assert ids(on_28th) == [late_evening]
    from_29th = await client.get("/api/calls", params={"start_date": "2026-11-29"}, headers=auth)
    assert ids(from_29th) == [today, next_day]
    until_29th = await client.get("/api/calls", params={"end_date": "2026-11-29"}, headers=auth)
    assert ids(until_29th) == [next_day, late_evening]


async def test_calls_are_filtered_by_customer_and_outcome(client, db, shop, auth):
    """customer_id and outcome narrow the list, alone and together."""
    grace = await customers.create_customer(
        db, shop.business_id, phone="+12345678901", name="Grace"
    )
    ada_booked = await record_call(
        db, shop.business_id, NOW - timedelta(hours=4), CallOutcome.BOOKED, shop.ada
    )
    ada_message = await record_call(
        db, shop.business_id, NOW - timedelta(hours=3), CallOutcome.MESSAGE, shop.ada
    )
    grace_booked = await record_call(
        db, shop.business_id, NOW - timedelta(hours=2), CallOutcome.BOOKED, grace.id
    )
    await record_call(db, shop.business_id, NOW - timedelta(hours=1), CallOutcome.ABANDONED)
    by_ada = await client.get("/api/calls", params={"customer_id": shop.ada}, headers=auth)
    assert ids(by_ada) == [ada_message, ada_booked]
    assert by_ada.json()["items"][0]["customer_name"] == "Ada"
    booked = await client.get("/api/calls", params={"outcome": "booked"}, headers=auth)
    assert ids(booked) == [grace_booked, ada_booked]
    both = await client.get(
        "/api/calls", params={"outcome": "booked", "customer_id": grace.id}, headers=auth
    )
    assert ids(both) == [grace_booked]


async def test_calls_are_filtered_by_the_callers_number_in_any_format(client, db, shop, auth):
    """number finds a caller's whole number however it is written, or a run of four or more
    of its digits; it combines with the other filters; a withheld number never matches."""
    ada = await record_call(db, shop.business_id, NOW - timedelta(hours=3), customer_id=shop.ada)
    other = await calls.start_call(
        db, shop.business_id, room_name="room-other", caller_number="+12125550177",
        dialled_number="+12125550100", customer_id=None, verified=True,
        now=NOW - timedelta(hours=2),
    )  # fmt: skip
    await calls.finish_call(db, other, CallOutcome.MESSAGE, now=NOW - timedelta(hours=1))
    await record_call(db, shop.business_id, NOW - timedelta(hours=1))  # number withheld
    for written in ("+1 (234) 567-8900", "234-567-8900", "sip_+12345678900", "5678"):
        found = await client.get("/api/calls", params={"number": written}, headers=auth)
        assert ids(found) == [ada], written
    assert ids(await client.get("/api/calls", params={"number": "0177"}, headers=auth)) == [other]
    assert ids(await client.get("/api/calls", params={"number": "9999"}, headers=auth)) == []
    both = await client.get(
        "/api/calls", params={"number": "2125550177", "outcome": "info"}, headers=auth
    )
    assert ids(both) == []
    blank = await client.get("/api/calls", params={"number": " "}, headers=auth)
    assert len(ids(blank)) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "2026-11-31"}, "start_date"),
        ({"end_date": "tomorrow"}, "end_date"),
        ({"start_date": "2026-11-30", "end_date": "2026-11-29"}, "end_date"),
        ({"outcome": "hung_up"}, "outcome"),
        ({"page_size": 0}, "page_size"),
        ({"number": "12"}, "number"),
        ({"number": "x" * 65}, "number"),
    ],
)
async def test_bad_call_filters_are_422_naming_the_field(client, shop, auth, params, field):
    """A filter that cannot be understood is refused as problem details naming it."""
    response = await client.get("/api/calls", params=params, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_call_is_read_with_its_transcript_and_tool_calls(client, db, shop, auth):
    """GET /api/calls/{id} gives the call, its transcript and each tool call as it ran."""
    call_id = await calls.start_call(
        db,
        shop.business_id,
        room_name="sip-room",
        caller_number="+12345678900",
        dialled_number="+12125550100",
        customer_id=shop.ada,
        verified=True,
        now=NOW - timedelta(minutes=5),
    )
    turns = [
        {"role": "assistant", "text": "Test Salon, hello Ada."},
        {"role": "user", "text": "A haircut on Tuesday, please."},
    ]
    await calls.append_transcript(db, call_id, turns)
    await calls.record_tool_call(
        db,
        call_id,
        name="check_availability",
        arguments={"date": "2026-12-01"},
        result="Tuesday the 1st of December at 10:00 with Sam",
        error=None,
        latency_ms=41.5,
    )
    await calls.record_tool_call(
        db,
        call_id,
        name="book_appointment",
        arguments={"option_id": "z9"},
        result=None,
        error="that option was not offered in this call",
        latency_ms=3.0,
    )
    await calls.finish_call(db, call_id, CallOutcome.ABANDONED, now=NOW - timedelta(minutes=1))
    response = await client.get(f"/api/calls/{call_id}", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == call_id
    assert body["customer_id"] == shop.ada and body["customer_name"] == "Ada"
    assert body["caller_number"] == "+12345678900" and body["caller_verified"] is True
    assert body["outcome"] == "abandoned"
    assert body["duration_seconds"] == 240
    assert body["transcript"] == turns
    tools = [
        {k: t[k] for k in ("name", "arguments", "result", "error", "latency_ms")}
        for t in body["tool_calls"]
    ]
    assert tools == [
        {
            "name": "check_availability",
            "arguments": {"date": "2026-12-01"},
            "result": "Tuesday the 1st of December at 10:00 with Sam",
            "error": None,
            "latency_ms": 41.5,
        },
        {
            "name": "book_appointment",
            "arguments": {"option_id": "z9"},
            "result": None,
            "error": "that option was not offered in this call",
            "latency_ms": 3.0,
        },
    ]


async def test_a_call_in_progress_has_no_end(client, db, shop, auth):
    """A call still going is listed with outcome in_progress and no end or duration."""
    call_id = await calls.start_call(
        db,
        shop.business_id,
        room_name="live",
        caller_number=None,
        dialled_number=None,
        customer_id=None,
        verified=False,
        now=NOW,
    )
    body = (await client.get(f"/api/calls/{call_id}", headers=auth)).json()
    assert body["outcome"] == "in_progress"
    assert body["ended_at"] is None and body["duration_seconds"] is None
    assert body["transcript"] == [] and body["tool_calls"] == []


async def test_calls_of_another_business_are_not_found(client, db, shop, auth):
    """Another business's call is 404 to read and absent from the list."""
    other = await make_shop(db, name="Other Salon", number="+12125550111")
    theirs = await record_call(db, other.business_id, NOW - timedelta(hours=1))
    response = await client.get(f"/api/calls/{theirs}", headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "not_found"
    assert ids(await client.get("/api/calls", headers=auth)) == []
    assert (await client.get("/api/calls/999999", headers=auth)).status_code == 404


async def leave(db, business_id: int, text: str, **extra) -> int:
    return (await calls.take_message(db, business_id, body=text, **extra)).id


async def test_messages_are_listed_newest_first_by_handled(client, db, shop, auth):
    """Messages come newest first; handled=false gives open ones, handled=true the handled."""
    first = await leave(db, shop.business_id, "Please call back about colour.", caller_name="Bo")
    second = await leave(db, shop.business_id, "Running late.", customer_id=shop.ada)
    third = await leave(db, shop.business_id, "Is parking free?", callback_number="+12345678901")
    marked = await client.post(f"/api/messages/{second}/handled", headers=auth)
    assert marked.status_code == 200, marked.text
    everything = await client.get("/api/messages", headers=auth)
    assert ids(everything) == [third, second, first]
    assert everything.json()["total"] == 3
    open_ones = await client.get("/api/messages", params={"handled": "false"}, headers=auth)
    assert ids(open_ones) == [third, first]
    assert open_ones.json()["total"] == 2
    handled = await client.get("/api/messages", params={"handled": "true"}, headers=auth)
    assert ids(handled) == [second]
    item = handled.json()["items"][0]
    assert item["handled"] is True and item["customer_id"] == shop.ada
    paged = await client.get("/api/messages", params={"page": 2, "page_size": 2}, headers=auth)
    assert ids(paged) == [first]
    first_item = open_ones.json()["items"][0]
    assert first_item["body"] == "Is parking free?"
    assert first_item["callback_number"] == "+12345678901"
    assert first_item["handled"] is False and first_item["handled_at"] is None


async def test_marking_handled_is_idempotent(client, db, shop, auth):
    """Marking a message handled stores the time; marking it again keeps the first time."""
    message_id = await leave(db, shop.business_id, "Call me back.")
    first = await client.post(f"/api/messages/{message_id}/handled", headers=auth)
    assert first.status_code == 200
    assert first.json()["handled_at"] == "2026-11-30T13:00:00Z"
    later_app = create_app(db, clock=lambda: NOW + timedelta(hours=1))
    transport = httpx.ASGITransport(app=later_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as later:
        again = await later.post(f"/api/messages/{message_id}/handled", headers=auth)
    assert again.status_code == 200
    assert again.json()["handled_at"] == "2026-11-30T13:00:00Z"
    async with db.read() as session:
        assert (await session.get(Message, message_id)).handled_at == NOW


async def test_messages_of_another_business_are_not_found(client, db, shop, auth):
    """Another business's message is 404 to mark, stays open, and is absent from the list."""
    other = await make_shop(db, name="Other Salon", number="+12125550111")
    theirs = await leave(db, other.business_id, "Not yours.")
    response = await client.post(f"/api/messages/{theirs}/handled", headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    async with db.read() as session:
        assert (await session.get(Message, theirs)).handled_at is None
    assert ids(await client.get("/api/messages", headers=auth)) == []
    assert (await client.post("/api/messages/999999/handled", headers=auth)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/calls"),
        ("GET", "/api/calls/1"),
        ("GET", "/api/messages"),
        ("POST", "/api/messages/1/handled"),
    ],
)
async def test_call_and_message_routes_need_a_token(client, db, shop, method, path):
    """Without a bearer token the call log and messages answer 401 and change nothing."""
    message_id = await leave(db, shop.business_id, "Call me back.")
    response = await client.request(method, path.replace("/1", f"/{message_id}"))
    assert response.status_code == 401
    async with db.read() as session:
        assert (await session.get(Message, message_id)).handled_at is None
