"""Every Setup address that names an id is looked up within the session's business: another
business's service, closure, token, staff member, override or calendar connection answers
404 and is left as it was."""

from __future__ import annotations

from datetime import date

import httpx

from booking.db import Database
from booking.services import calendar_connections, closures, staff, tokens
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client


async def test_another_business_ids_answer_not_found_and_change_nothing(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Reading or changing another business's rows through Setup answers 404 each time."""
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    day = date(2026, 12, 24)
    closure = await closures.create_closure(db, other.business_id, day, day, "Theirs")
    await staff.add_override(db, other.business_id, other.sam, date(2026, 12, 3), now=NOW)
    [their_token] = await tokens.list_tokens(db, other.business_id)
    connection = await calendar_connections.create_connection(
        db, other.business_id, other.sam, now=NOW, kind="ics", url="https://93.184.215.14/a.ics"
    )
    client, csrf = await signed_in_client(web_client, shop.token)
    form = {"_csrf_token": csrf}
    reads = [
        f"/admin/setup/services/{other.colour}",
        f"/admin/setup/staff/{other.alex}",
    ]
    for path in reads:
        assert (await client.get(path)).status_code == 404, path
    writes = {
        f"/admin/setup/services/{other.colour}": {"name": "Mine", "duration_minutes": "30"},
        f"/admin/setup/closures/{closure.id}/delete": {},
        f"/admin/setup/tokens/{their_token.id}/revoke": {},
        f"/admin/setup/staff/{other.alex}": {"name": "Mine", "active": "yes"},
        f"/admin/setup/staff/{other.sam}/overrides/2026-12-03/delete": {},
        f"/admin/setup/staff/{other.sam}/calendar-feed": {},
        f"/admin/setup/staff/{other.sam}/calendars/{connection.id}/delete": {},
        f"/admin/setup/staff/{shop.sam}/calendars/{connection.id}/delete": {},
    }
    for path, data in writes.items():
        for confirmed in ({}, {"confirm": "yes"}):  # asking first, and acting
            sent = {**form, **data, **confirmed}
            assert (await client.post(path, data=sent)).status_code == 404, path
    assert (await staff.get_service(db, other.business_id, other.colour)).name == "Colour"
    assert [c.id for c in await closures.list_closures(db, other.business_id)] == [closure.id]
    assert await tokens.identify(db, other.token) is not None
    assert (await staff.get_staff(db, other.business_id, other.alex)).name == "Alex"
    assert len(await staff.list_overrides(db, other.business_id, other.sam)) == 1
    assert len(await calendar_connections.list_connections(db, other.business_id, other.sam)) == 1
