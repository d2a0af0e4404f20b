"""Markup in every value a caller, a customer or an admin controls (names, notes, message
bodies, transcripts, tool-call arguments and results, the business's name and profile, staff,
services, closures, calendar names) is shown as text on every page and htmx piece, never run."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from booking.db import Database
from booking.services import calls
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client
from tests.web.pages_seed import message, recorded_call

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>{{7*7}}"
# What must never appear: a live tag or attribute from the payload.
LIVE = re.compile(r"<script>alert|<img src=x|\"\s*onerror=|'\s*onerror=")


async def seed(client: httpx.AsyncClient, db: Database, shop: Shop) -> dict[str, int]:
    """The payload in every field it can reach, through the API and the receptionist's
    services; the ids of what the pages show."""
    auth = {"Authorization": f"Bearer {shop.token}"}

    async def api(method: str, path: str, body: dict[str, object]) -> dict[str, object]:
        answer = await client.request(method, "/api" + path, json=body, headers=auth)
        assert answer.status_code in (200, 201), (path, answer.text)
        found: dict[str, object] = answer.json() if answer.content else {}
        return found

    await api("PATCH", f"/customers/{shop.ada}", {"name": "Ada " + PAYLOAD, "notes": PAYLOAD})
    await api("PATCH", "/business", {"name": "Salon " + PAYLOAD})
    await api("PUT", "/business/profile",
              {"address": PAYLOAD, "description": PAYLOAD, "directions": PAYLOAD})  # fmt: skip
    await api("POST", "/business/faq", {"question": PAYLOAD, "answer": PAYLOAD})
    await api("PATCH", f"/staff/{shop.alex}", {"name": "Alex " + PAYLOAD})
    await api("PATCH", f"/services/{shop.trim}", {"name": "Trim " + PAYLOAD})
    day = (NOW + timedelta(days=3)).date()
    closure = {"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": PAYLOAD}
    await api("POST", "/business/closures", closure)
    call_id, booked = await recorded_call(db, shop, NOW - timedelta(minutes=30))
    assert booked is not None
    await calls.append_transcript(
        db, call_id, [{"role": "user", "text": PAYLOAD, "at": NOW.isoformat()}]
    )
    await calls.record_tool_call(
        db, call_id, name="take_message", arguments={"body": PAYLOAD, PAYLOAD: 1},
        result=PAYLOAD, error=PAYLOAD, latency_ms=3.0,
    )  # fmt: skip
    taken = await message(db, shop, PAYLOAD, name=PAYLOAD)
    return {"call": call_id, "appointment": booked.id, "message": taken.id}


async def test_markup_in_any_value_is_shown_as_text(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Every page and htmx piece that shows the values escapes them: no tag or attribute of
    the payload is live, while its text is there to read."""
    ids = await seed(web_client, db, shop)
    client, _ = await signed_in_client(web_client, shop.token)
    tomorrow = (NOW + timedelta(days=1)).date().isoformat()
    closed = (NOW + timedelta(days=3)).date().isoformat()
    pages = [
        "/admin/today", f"/admin/today?day={tomorrow}", f"/admin/today?day={closed}",
        "/admin/week", f"/admin/appointments/{ids['appointment']}",
        "/admin/calls", f"/admin/calls/{ids['call']}", "/admin/messages",
        "/admin/customers", f"/admin/customers/{shop.ada}", f"/admin/customers/{shop.ada}/edit",
        "/admin/customers?q=Ada", "/admin/book", f"/admin/customers/{shop.ada}/erase",
        "/admin/setup", "/admin/setup/business",
        "/admin/setup/services", f"/admin/setup/services/{shop.trim}", "/admin/setup/staff",
        f"/admin/setup/staff/{shop.alex}", "/admin/setup/closures", "/admin/setup/tokens",
        "/admin/setup/webhooks", "/admin/book?q=Ada",
        f"/admin/book?service_id={shop.trim}&appointment_date={tomorrow}",
        f"/admin/appointments/{ids['appointment']}/free?appointment_date={tomorrow}",
    ]  # fmt: skip
    shown = 0
    for path in pages:
        for headers in ({}, {"HX-Request": "true"}):
            answer = await client.get(path, headers=headers, follow_redirects=True)
            assert answer.status_code == 200, (path, answer.status_code)
            assert not LIVE.search(answer.text), (path, LIVE.search(answer.text))
            shown += answer.text.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert shown > len(pages)  # the payload was on the pages, escaped
    assert date.fromisoformat(closed)
