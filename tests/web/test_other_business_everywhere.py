"""Every address of the web page that names an id, GET or POST, on every page (appointments,
customers, calls, messages, webhooks, Setup), looked up within the session's business:
another business's ids answer 404 and leave its rows as they were. The list of addresses is
read from the app, so a page added later is covered too."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import httpx

from booking.api.app import create_app
from booking.db import Database
from booking.models import AppointmentStatus
from booking.services import (
    appointments,
    calendar_connections,
    call_log,
    closures,
    customers,
    staff,
    tokens,
    webhooks,
)
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client
from tests.web.pages_seed import message, recorded_call

OVERRIDE_DAY = date(2026, 12, 3)


def templates(db: Database) -> list[tuple[str, str]]:
    """(method, path template) of every /admin route with an id or a date in its path."""
    app = create_app(db, clock=lambda: NOW)
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin") or not re.search(r"\{\w+:(int|str)\}", route.path):
            continue
        if "{code:str}" in route.path:  # a sign-in link's code names no row
            continue
        for handler in getattr(route, "route_handlers", []):
            found += [(m, route.path) for m in handler.http_methods if m in ("GET", "POST")]
    return found


async def test_another_business_ids_answer_404_on_every_page(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Signed in as one business's owner, each address filled with the other business's ids
    answers 404, and the other business's rows are unchanged afterwards."""
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    call_id, booked = await recorded_call(db, other, NOW - timedelta(hours=1))
    assert booked is not None
    taken = await message(db, other, "Call me back")
    day = date(2026, 12, 24)
    closure = await closures.create_closure(db, other.business_id, day, day, "Theirs")
    await staff.add_override(db, other.business_id, other.sam, OVERRIDE_DAY, now=NOW)
    [their_token] = await tokens.list_tokens(db, other.business_id)
    hook = await webhooks.create_subscription(
        db, other.business_id, "https://93.184.215.14/hook", ["message.taken"]
    )
    connection = await calendar_connections.create_connection(
        db, other.business_id, other.sam, now=NOW, kind="ics", url="https://93.184.215.14/a.ics"
    )
    ids = {
        "staff_id": other.sam, "service_id": other.colour, "customer_id": other.ada,
        "appointment_id": booked.id, "call_id": call_id, "message_id": taken.id,
        "connection_id": connection.id, "closure_id": closure.id,
        "token_id": their_token.id, "webhook_id": hook.id, "on_date": OVERRIDE_DAY.isoformat(),
    }  # fmt: skip

    def fill(template: str) -> str:
        def one(match: re.Match[str]) -> str:
            assert match[1] in ids, f"no id of the other business for {match[1]} in {template}"
            return str(ids[match[1]])

        return re.sub(r"\{(\w+):\w+\}", one, template)

    client, csrf = await signed_in_client(web_client, shop.token)
    form = {
        "_csrf_token": csrf, "name": "Mine", "status": "cancelled", "confirm": "yes",
        "appointment_date": "2026-12-02", "appointment_time": "11:00", "slot": "x",
        "duration_minutes": "30", "active": "yes",
    }  # fmt: skip
    checked = templates(db)
    assert len(checked) >= 20
    for method, template in checked:
        path = fill(template)
        answer = await (client.get(path) if method == "GET" else client.post(path, data=form))
        assert answer.status_code == 404, (method, template, answer.status_code)

    theirs = await appointments.get_appointment(db, other.business_id, booked.id)
    assert theirs.status == AppointmentStatus.BOOKED
    assert theirs.local_time == time(10)
    assert (await customers.get_customer(db, other.business_id, other.ada)).name == "Ada"
    [still] = (await call_log.list_messages(db, other.business_id, handled=False)).items
    assert still.id == taken.id
    assert [h.id for h in await webhooks.list_subscriptions(db, other.business_id)] == [hook.id]
    assert len(await calendar_connections.list_connections(db, other.business_id, other.sam)) == 1
    assert [c.id for c in await closures.list_closures(db, other.business_id)] == [closure.id]
    assert await tokens.identify(db, other.token) is not None
    assert (await staff.get_staff(db, other.business_id, other.alex)).name == "Alex"
