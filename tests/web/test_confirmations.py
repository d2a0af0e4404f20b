"""Every destructive button of Setup asks first: its post answers with a confirmation page
that says what will happen and changes nothing; only that page's button (`confirm=yes`)
acts. Covered: revoking a token, unsubscribing a webhook, removing a staff calendar, a
closure and a day's special hours, and making a new calendar-feed link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import httpx

from booking.db import Database
from booking.models.token import TokenRole
from booking.services import calendar_connections, closures, staff, tokens, webhooks
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import csrf_of, signed_in_client

DAY = date(2026, 12, 9)


async def _ask_then_confirm(
    client: httpx.AsyncClient,
    csrf: str,
    action: str,
    question: str,
    still_there: Callable[[], Awaitable[bool]],
) -> None:
    """The first post shows `question` and a button posting `confirm=yes` to `action`, and
    leaves the thing in place; that button's post removes it."""
    asked = await client.post(action, data={"_csrf_token": csrf})
    assert asked.status_code == 200, asked.text
    assert question in asked.text
    assert f'action="{action}"' in asked.text and 'name="confirm" value="yes"' in asked.text
    assert await still_there()
    confirmed = await client.post(
        action, data={"_csrf_token": csrf_of(asked.text), "confirm": "yes"}
    )
    assert confirmed.status_code == 303, confirmed.text
    assert not await still_there()


async def test_revoking_a_token_asks_first(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Revoke on a token asks "Revoke the token “tablet”?"; the token still signs in until
    the confirmation's button is pressed."""
    tablet = await tokens.create_token(db, shop.business_id, "tablet", TokenRole.STAFF)
    client, csrf = await signed_in_client(web_client, shop.token)

    async def works() -> bool:
        return await tokens.identify(db, tablet.secret) is not None

    action = f"/admin/setup/tokens/{tablet.id}/revoke"
    await _ask_then_confirm(client, csrf, action, "Revoke the token “tablet”?", works)


async def test_unsubscribing_a_webhook_asks_first(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Unsubscribe asks "Unsubscribe <url>?"; the subscription stays until confirmed."""
    url = "https://93.184.215.14/hooks"
    hook = await webhooks.create_subscription(db, shop.business_id, url, ["message.taken"])
    client, csrf = await signed_in_client(web_client, shop.token)

    async def subscribed() -> bool:
        return bool(await webhooks.list_subscriptions(db, shop.business_id))

    action = f"/admin/setup/webhooks/{hook.id}/delete"
    await _ask_then_confirm(client, csrf, action, f"Unsubscribe {url}?", subscribed)


async def test_removing_a_staff_calendar_asks_first(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Remove on Sam's calendar asks "Remove the calendar Google?"; it stays connected (its
    busy times counting) until confirmed."""
    made = await calendar_connections.create_connection(
        db, shop.business_id, shop.sam, now=NOW, allow_private=True,
        kind="ics", url="https://127.0.0.1:8443/sam.ics", name="Google",
    )  # fmt: skip
    client, csrf = await signed_in_client(web_client, shop.token)

    async def connected() -> bool:
        return bool(await calendar_connections.list_connections(db, shop.business_id, shop.sam))

    action = f"/admin/setup/staff/{shop.sam}/calendars/{made.id}/delete"
    await _ask_then_confirm(client, csrf, action, "Remove the calendar Google?", connected)


async def test_removing_a_closure_and_a_days_hours_asks_first(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Removing a closure asks "Open again on ...?", and a day's special hours "Remove the
    change on ...?"; each stays until confirmed."""
    closure = await closures.create_closure(db, shop.business_id, DAY, DAY, "Holiday", now=NOW)
    await staff.add_override(db, shop.business_id, shop.sam, DAY, reason="Training")
    client, csrf = await signed_in_client(web_client, shop.token)

    async def closed() -> bool:
        return bool(await closures.list_closures(db, shop.business_id))

    async def changed() -> bool:
        return bool(await staff.list_overrides(db, shop.business_id, shop.sam, DAY))

    action = f"/admin/setup/closures/{closure.id}/delete"
    await _ask_then_confirm(client, csrf, action, "Open again on Wed 9 Dec 2026?", closed)
    action = f"/admin/setup/staff/{shop.sam}/overrides/{DAY.isoformat()}/delete"
    await _ask_then_confirm(client, csrf, action, "Remove the change on Wed 9 Dec 2026?", changed)


async def test_a_new_calendar_feed_link_asks_first(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Making a new feed link asks first; the old link keeps working until confirmed."""
    old = await staff.calendar_key_of(db, shop.business_id, shop.sam)
    client, csrf = await signed_in_client(web_client, shop.token)

    async def old_works() -> bool:
        return await staff.calendar_key_of(db, shop.business_id, shop.sam) == old

    action = f"/admin/setup/staff/{shop.sam}/calendar-feed"
    await _ask_then_confirm(
        client, csrf, action, "Make a new calendar feed link for Sam?", old_works
    )
