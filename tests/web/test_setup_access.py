"""Setup over plain HTTP, who may do what: a staff token's session does not see or reach the
owner-only parts (tokens, webhooks, the business's settings and closures); an owner issues
and revokes tokens (a new secret shown once), manages webhooks and reads their deliveries;
everyone sees the calendar-feed links."""

from __future__ import annotations

import re

import httpx

from booking.db import Database
from booking.models.token import TokenRole
from booking.services import businesses, calls, closures, tokens, webhooks
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client

OWNER_ONLY = ("/admin/setup/tokens", "/admin/setup/webhooks")


async def test_a_staff_session_does_not_see_or_reach_owner_only_setup(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Signed in with a staff token: Setup links to no owner-only part, those pages answer
    403, the business's settings are shown read-only and posting them is refused, and so is
    a closure; nothing changes."""
    desk = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    client, csrf = await signed_in_client(web_client, desk.secret)
    overview = await client.get("/admin/setup")
    assert overview.status_code == 200
    for path in OWNER_ONLY:
        assert f'href="{path}"' not in overview.text
        assert (await client.get(path)).status_code == 403
    settings = await client.get("/admin/setup/business")
    assert settings.status_code == 200
    assert 'action="/admin/setup/business"' not in settings.text
    assert "Only the owner may change these settings." in settings.text
    refused = await client.post(
        "/admin/setup/business", data={"_csrf_token": csrf, "name": "Taken Over"}
    )
    assert refused.status_code == 403
    closure = await client.post(
        "/admin/setup/closures", data={"_csrf_token": csrf, "starts_on": "2026-12-24"}
    )
    assert closure.status_code == 403
    issued = await client.post(
        "/admin/setup/tokens", data={"_csrf_token": csrf, "name": "mine", "role": "owner"}
    )
    assert issued.status_code == 403
    assert (await businesses.get_business(db, shop.business_id)).name == "Test Salon"
    assert await closures.list_closures(db, shop.business_id) == []
    assert [t.name for t in await tokens.list_tokens(db, shop.business_id)] == [
        "test", "front desk"
    ]  # fmt: skip


async def test_an_owner_issues_a_token_whose_secret_is_shown_once_and_revokes_it(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The new token's secret is on the answer that issued it, works, and is on no later
    page; the list says which token issued it; revoking it refuses it at once; the last
    owner token cannot be revoked."""
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(
        "/admin/setup/tokens", data={"_csrf_token": csrf, "name": "tablet", "role": "staff"}
    )
    assert answer.status_code == 201
    secret = re.search(r'<p class="secret" id="new-secret">([^<]+)</p>', answer.text)
    assert secret is not None
    caller = await tokens.identify(db, secret.group(1))
    assert caller is not None and caller.role == TokenRole.STAFF
    later = await client.get("/admin/setup/tokens")
    assert secret.group(1) not in later.text and "tablet" in later.text
    [tablet] = [t for t in await tokens.list_tokens(db, shop.business_id) if t.name == "tablet"]
    assert tablet.created_by is not None and tablet.created_by.name == "test"  # who issued it
    revoked = await client.post(
        f"/admin/setup/tokens/{tablet.id}/revoke", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert revoked.status_code == 303
    assert await tokens.identify(db, secret.group(1)) is None
    [owner] = [t for t in await tokens.list_tokens(db, shop.business_id) if t.name == "test"]
    last = await client.post(
        f"/admin/setup/tokens/{owner.id}/revoke", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert last.status_code == 409
    assert "last" in last.text and await tokens.identify(db, shop.token) is not None
    blank = await client.post(
        "/admin/setup/tokens", data={"_csrf_token": csrf, "name": "", "role": "staff"}
    )
    assert blank.status_code == 422 and 'id="e-name"' in blank.text


async def test_an_owner_subscribes_a_webhook_and_reads_its_deliveries(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A public URL is subscribed (its signing secret shown once); a loopback one is refused
    beside the URL field, and so is choosing no event; a message taken then shows as a
    delivery on the webhook's page; another business's webhook is not found."""
    client, csrf = await signed_in_client(web_client, shop.token)
    loopback = await client.post(
        "/admin/setup/webhooks",
        data={"_csrf_token": csrf, "url": "http://127.0.0.1:59/hook", "events": "message.taken"},
    )
    assert loopback.status_code == 422 and 'id="e-url"' in loopback.text
    no_events = await client.post(
        "/admin/setup/webhooks", data={"_csrf_token": csrf, "url": "https://93.184.215.14/h"}
    )
    assert no_events.status_code == 422 and 'id="e-events"' in no_events.text
    made = await client.post(
        "/admin/setup/webhooks",
        data={"_csrf_token": csrf, "url": "https://93.184.215.14/hook",
              "events": ["message.taken", "appointment.booked"]},
    )  # fmt: skip
    assert made.status_code == 201 and "whsec_" in made.text
    [subscription] = await webhooks.list_subscriptions(db, shop.business_id)
    assert subscription.events == ["appointment.booked", "message.taken"]
    await calls.take_message(db, shop.business_id, body="Call me", caller_name="Bo")
    deliveries = await client.get(f"/admin/setup/webhooks/{subscription.id}")
    assert deliveries.status_code == 200
    assert "message.taken" in deliveries.text and "pending" in deliveries.text
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    theirs = await webhooks.create_subscription(
        db, other.business_id, "https://93.184.215.14/x", ["message.taken"]
    )
    assert (await client.get(f"/admin/setup/webhooks/{theirs.id}")).status_code == 404
    gone = await client.post(
        f"/admin/setup/webhooks/{theirs.id}/delete", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert gone.status_code == 404
    assert len(await webhooks.list_subscriptions(db, other.business_id)) == 1


async def test_the_calendar_feed_links_work_and_a_new_one_replaces_the_old(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """The overview's link for Sam serves his calendar; making a new link on his page stops
    the old one."""
    client, csrf = await signed_in_client(web_client, shop.token)
    overview = await client.get("/admin/setup")
    link = re.search(rf'href="/admin/setup/staff/{shop.sam}#feed">Sam</a>: '
                     r'<span class="secret">([^<]+)</span>', overview.text)  # fmt: skip
    assert link is not None
    old = link.group(1).removeprefix("http://testserver")
    served = await client.get(old)
    assert served.status_code == 200 and "BEGIN:VCALENDAR" in served.text
    rotated = await client.post(
        f"/admin/setup/staff/{shop.sam}/calendar-feed", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert rotated.status_code == 303
    assert (await client.get(old)).status_code == 404
