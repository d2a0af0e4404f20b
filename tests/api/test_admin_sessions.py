"""The web page's sessions over the API, for the owner: listed without a secret (how each was
opened: a token's name or a one-time link), and ended all at once, one-time-link sessions and
unused links included; a staff token may do neither, and other businesses are untouched."""

from __future__ import annotations

from datetime import timedelta

from booking.models.token import TokenRole
from booking.services import admin_sessions, tokens
from tests.conftest import NOW
from tests.factories import make_shop


async def test_the_owner_lists_live_sessions_with_how_each_was_opened_and_no_secret(
    client, db, shop, auth
):
    """A token session names its token, a link session says "link"; neither the cookie's
    secret nor its hash is in the answer; an expired session, one of a revoked token and one
    of another business are not listed."""
    desk = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    by_token = await admin_sessions.open_with_token(db, desk.secret, NOW - timedelta(minutes=30))
    assert by_token is not None
    code = await admin_sessions.create_link(db, shop.business_id, NOW)
    by_link = await admin_sessions.open_with_link(db, code, NOW)
    assert by_link is not None
    old = await admin_sessions.open_with_token(db, shop.token, NOW - timedelta(days=8))
    revoked = await tokens.create_token(db, shop.business_id, "lost phone", TokenRole.STAFF)
    assert await admin_sessions.open_with_token(db, revoked.secret, NOW) is not None
    await tokens.revoke_token(db, shop.business_id, revoked.id)
    other = await make_shop(db, name="Other Salon", number="+12125550199")
    assert await admin_sessions.open_with_token(db, other.token, NOW) is not None

    answer = await client.get("/api/admin-sessions", headers=auth)

    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert [s["opened_with"] for s in listed] == [
        {"kind": "token", "token_id": desk.id, "token_name": "front desk"},
        {"kind": "link", "token_id": None, "token_name": None},
    ]
    assert [s["role"] for s in listed] == ["staff", "owner"]
    assert listed[0]["created_at"].startswith("2026-11-30T12:30")
    assert listed[0]["expires_at"].startswith("2026-12-01T00:30")  # 12 hours idle
    for secret in (by_token.secret, by_link.secret, admin_sessions.hash_token(by_link.secret)):
        assert secret not in answer.text
    assert old is not None and old.secret not in answer.text


async def test_ending_all_sessions_ends_link_sessions_and_unused_links(client, db, shop, auth):
    """DELETE answers how many live sessions ended; afterwards no session of the business
    (token or link) is let in, an unused one-time link no longer signs in, the list is empty,
    and another business's session lives on."""
    by_token = await admin_sessions.open_with_token(db, shop.token, NOW)
    by_link = await admin_sessions.open_with_link(
        db, await admin_sessions.create_link(db, shop.business_id, NOW), NOW
    )
    unused = await admin_sessions.create_link(db, shop.business_id, NOW)
    other = await make_shop(db, name="Other Salon", number="+12125550199")
    theirs = await admin_sessions.open_with_token(db, other.token, NOW)
    assert by_token and by_link and theirs

    answer = await client.delete("/api/admin-sessions", headers=auth)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ended": 2}
    assert await admin_sessions.identify(db, by_token.secret, NOW) is None
    assert await admin_sessions.identify(db, by_link.secret, NOW) is None
    assert await admin_sessions.open_with_link(db, unused, NOW) is None
    assert (await client.get("/api/admin-sessions", headers=auth)).json() == []
    assert await admin_sessions.identify(db, theirs.secret, NOW) is not None
    assert (await client.delete("/api/admin-sessions", headers=auth)).json() == {"ended": 0}


async def test_a_staff_token_may_not_list_or_end_sessions(client, db, shop):
    """Both routes answer 403 owner_required to a staff token, and the owner's session
    lives on."""
    desk = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    mine = await admin_sessions.open_with_token(db, shop.token, NOW)
    assert mine is not None
    staff = {"Authorization": f"Bearer {desk.secret}"}
    for answer in (
        await client.get("/api/admin-sessions", headers=staff),
        await client.delete("/api/admin-sessions", headers=staff),
    ):
        assert answer.status_code == 403
        assert answer.json()["code"] == "owner_required"
    assert await admin_sessions.identify(db, mine.secret, NOW) is not None
