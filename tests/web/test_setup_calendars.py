"""Setup over plain HTTP, a staff member's own calendars (owner only): an ICS feed connected
on the member's page, synced at once ("sync now") with its last sync and busy times shown and
its busy day no longer offered, a failed sync's error shown, and removal."""

from __future__ import annotations

import httpx

from booking.db import Database
from booking.models.token import TokenRole
from booking.services import calendar_connections, tokens
from tests.calendars.feeds import HTML_PAGE
from tests.calendars.ics_server import IcsServer
from tests.factories import Shop
from tests.web.conftest import signed_in_client
from tests.web.test_setup_schedule import free_times

PASSWORD = "s3cret-app-pass-77zz"


async def test_an_ics_calendar_is_connected_synced_shown_and_removed(
    local_client: httpx.AsyncClient, db: Database, shop: Shop, feed: IcsServer
) -> None:
    """Connected and synced from the page, the feed's last sync and busy times show, and its
    all-day event empties Sam's free times that day; a sync that reads an HTML page shows
    its error; removing it offers the day again."""
    client, csrf = await signed_in_client(local_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    day = {"day": "2026-12-02"}
    assert free_times((await client.get(member, params=day)).text)
    made = await client.post(
        f"{member}/calendars",
        data={"_csrf_token": csrf, "kind": "ics", "url": feed.url, "name": "Sam's Google"},
    )
    assert made.status_code == 303
    [connection] = await calendar_connections.list_connections(db, shop.business_id, shop.sam)
    page = await client.get(member)
    assert "Sam&#39;s Google" in page.text and "not yet" in page.text
    synced = await client.post(
        f"{member}/calendars/{connection.id}/sync", data={"_csrf_token": csrf}
    )
    assert synced.status_code == 303
    page = await client.get(member, params=day)
    assert "Mon 30 Nov 2026, 08:00: 11 busy times" in page.text
    assert free_times(page.text) == []
    feed.body, feed.content_type = HTML_PAGE, "text/html"
    await client.post(f"{member}/calendars/{connection.id}/sync", data={"_csrf_token": csrf})
    failed = await client.get(member)
    assert "Last error" in failed.text and "HTML page" in failed.text
    removed = await client.post(
        f"{member}/calendars/{connection.id}/delete", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert removed.status_code == 303
    assert await calendar_connections.list_connections(db, shop.business_id, shop.sam) == []
    assert free_times((await client.get(member, params=day)).text)


async def test_a_caldav_account_without_a_password_is_named_and_the_password_never_shown(
    local_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The API's rules name the missing field beside it; a typed password is not sent back
    in the page, and a stored one is never shown."""
    client, csrf = await signed_in_client(local_client, shop.token)
    member = f"/admin/setup/staff/{shop.sam}"
    missing = await client.post(
        f"{member}/calendars",
        data={"_csrf_token": csrf, "kind": "caldav", "url": "https://93.184.215.14/dav/",
              "username": "sam@example.org"},
    )  # fmt: skip
    assert missing.status_code == 422 and 'id="e-password"' in missing.text
    no_user = await client.post(
        f"{member}/calendars",
        data={"_csrf_token": csrf, "kind": "caldav", "url": "https://93.184.215.14/dav/",
              "password": PASSWORD},
    )  # fmt: skip
    assert no_user.status_code == 422 and PASSWORD not in no_user.text
    made = await client.post(
        f"{member}/calendars",
        data={"_csrf_token": csrf, "kind": "caldav", "url": "https://93.184.215.14/dav/",
              "username": "sam@example.org", "password": PASSWORD},
    )  # fmt: skip
    assert made.status_code == 303
    assert PASSWORD not in (await client.get(member)).text


async def test_a_staff_session_sees_no_calendar_connections(
    local_client: httpx.AsyncClient, db: Database, shop: Shop, feed: IcsServer
) -> None:
    """Calendar connections hold credentials: a staff token's session neither sees them nor
    can add one (403)."""
    desk = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    client, csrf = await signed_in_client(local_client, desk.secret)
    member = f"/admin/setup/staff/{shop.sam}"
    page = await client.get(member)
    assert page.status_code == 200 and 'id="calendars"' not in page.text
    refused = await client.post(
        f"{member}/calendars", data={"_csrf_token": csrf, "kind": "ics", "url": feed.url}
    )
    assert refused.status_code == 403
    assert await calendar_connections.list_connections(db, shop.business_id, shop.sam) == []
