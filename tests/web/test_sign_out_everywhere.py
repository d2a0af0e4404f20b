"""Signing the web page out everywhere, over plain HTTP: the access page lists who is signed
in (how each session was opened, never a secret), a confirmation step ends them all, those
opened with a one-time link included, and a staff session may do neither."""

from __future__ import annotations

import httpx

from booking.api.app import create_app
from booking.db import Database
from booking.models.token import TokenRole
from booking.services import admin_sessions, tokens
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client


async def link_session(db: Database, shop: Shop) -> str:
    """The cookie of a browser that signed in with a one-time link."""
    code = await admin_sessions.create_link(db, shop.business_id, NOW)
    opened = await admin_sessions.open_with_link(db, code, NOW)
    assert opened is not None
    return opened.secret


async def test_the_access_page_lists_open_sessions_without_a_secret(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The owner sees this browser's session (opened with the token "test"), the one opened
    with a one-time link, and a link to sign out everywhere; no cookie's value is shown."""
    other = await link_session(db, shop)
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get("/admin/setup/tokens")
    assert answer.status_code == 200
    section = answer.text[answer.text.index('id="sessions"') :]
    assert "the token test <strong>(this browser)</strong>" in section
    assert "a one-time link" in section
    assert 'href="/admin/setup/sessions/end"' in section
    mine = client.cookies.get("booking_session")
    assert mine and mine not in answer.text and other not in answer.text


async def test_signing_out_everywhere_after_confirming_ends_every_session(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The confirmation page says how many are open; a post without its confirmation ends
    nothing; confirming ends the link session in another browser and this one, and the
    browser lands on the sign-in form, which says so."""
    other = await link_session(db, shop)
    client, csrf = await signed_in_client(web_client, shop.token)
    confirm = await client.get("/admin/setup/sessions/end")
    assert confirm.status_code == 200
    assert "(2 open now, this browser's included)" in confirm.text
    unconfirmed = await client.post("/admin/setup/sessions/end", data={"_csrf_token": csrf})
    assert unconfirmed.status_code == 200 and "Sign out everywhere?" in unconfirmed.text
    assert await admin_sessions.identify(db, other, NOW) is not None

    ended = await client.post(
        "/admin/setup/sessions/end", data={"_csrf_token": csrf, "confirm": "end"}
    )

    assert ended.status_code == 303
    assert ended.headers["location"] == "/admin/sign-in?signed_out=everywhere"
    assert await admin_sessions.identify(db, other, NOW) is None
    assert await admin_sessions.list_live(db, shop.business_id, NOW) == []
    after = await client.get("/admin/setup/tokens")
    assert after.status_code == 303 and after.headers["location"].startswith("/admin/sign-in")
    notice = await client.get(ended.headers["location"])
    assert "Every session of this page has ended, this one included." in notice.text
    app = create_app(db, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as replay:
        replay.cookies.set("booking_session", other, path="/admin")
        assert (await replay.get("/admin/today")).status_code == 303


async def test_a_staff_session_may_not_sign_everyone_out(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A staff token's session gets 403 on the confirmation and on the action, and the
    owner's link session lives on."""
    owners = await link_session(db, shop)
    desk = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    client, csrf = await signed_in_client(web_client, desk.secret)
    assert (await client.get("/admin/setup/sessions/end")).status_code == 403
    refused = await client.post(
        "/admin/setup/sessions/end", data={"_csrf_token": csrf, "confirm": "end"}
    )
    assert refused.status_code == 403
    assert await admin_sessions.identify(db, owners, NOW) is not None
    assert (await client.get("/admin/today")).status_code == 200  # still signed in
