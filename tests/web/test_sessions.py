"""Sessions of the web page over plain HTTP: CSRF, revocation, sign-out, one-time links,
expiry, the throttle, and two processes sharing one database."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from booking.api.app import create_app
from booking.db import Database
from booking.models.token import TokenRole
from booking.services import admin_sessions, tokens
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import csrf_of, signed_in_client


async def signed_in(client: httpx.AsyncClient) -> bool:
    """Whether the client's session is live: /admin leads to a page, not to the sign-in form
    (it answers a page, or redirects to the first page of the bar once there is one)."""
    answer = await client.get("/admin", follow_redirects=True)
    return answer.status_code == 200 and answer.url.path != "/admin/sign-in"


async def test_a_form_post_without_the_csrf_token_is_refused(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A sign-in post carrying no CSRF token (or a forged one) is refused with 403 and the
    error page, and no session cookie is set."""
    await web_client.get("/admin/sign-in")
    bare = await web_client.post("/admin/sign-in", data={"token": shop.token})
    assert bare.status_code == 403
    assert "out of date" in bare.text
    assert "booking_session" not in bare.headers.get("set-cookie", "")
    forged = await web_client.post(
        "/admin/sign-in", data={"token": shop.token, "_csrf_token": "0" * 128}
    )
    assert forged.status_code == 403


async def test_a_signed_in_post_without_the_csrf_token_is_refused(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """Signed in, a sign-out post without the token is refused and the session lives on."""
    client, _ = await signed_in_client(web_client, shop.token)
    refused = await client.post("/admin/sign-out")
    assert refused.status_code == 403
    assert await signed_in(client)


async def test_a_session_of_a_revoked_token_is_refused(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Revoking the token a session was made from ends the session on its next request."""
    staff = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    client, _ = await signed_in_client(web_client, staff.secret)
    assert await signed_in(client)
    await tokens.revoke_token(db, shop.business_id, staff.id)
    assert not await signed_in(client)
    after = await client.get("/admin/today")
    assert after.status_code == 303
    assert after.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Ftoday"


async def test_sign_out_ends_the_session_everywhere(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Signing out deletes the session: its cookie, replayed by another client, is refused."""
    client, csrf = await signed_in_client(web_client, shop.token)
    cookie = client.cookies.get("booking_session")
    assert cookie
    out = await client.post("/admin/sign-out", data={"_csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/admin/sign-in"
    app = create_app(db, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as replay:
        replay.cookies.set("booking_session", cookie, path="/admin")
        answer = await replay.get("/admin/today")
        assert not await signed_in(replay)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/sign-in")


async def test_a_one_time_link_signs_in_once(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A link from `booking admin-link` signs the owner in once; the second use is refused
    and names what to do, offering the token form and no longer a button that cannot work."""
    code = await admin_sessions.create_link(db, shop.business_id, NOW)
    form = await web_client.get(f"/admin/link/{code}")
    assert form.status_code == 200
    csrf = csrf_of(form.text)
    first = await web_client.post(f"/admin/link/{code}", data={"_csrf_token": csrf})
    assert first.status_code == 303
    assert await signed_in(web_client)
    again = await web_client.post(f"/admin/link/{code}", data={"_csrf_token": csrf})
    assert again.status_code == 401
    assert "has been used or has expired" in again.text
    assert "run booking admin-link for a new one" in again.text
    assert '<button type="submit">Sign in</button>' not in again.text
    assert 'href="/admin/sign-in"' in again.text


async def test_a_link_past_its_lifetime_is_refused(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A link older than its lifetime signs nobody in."""
    code = await admin_sessions.create_link(
        db, shop.business_id, NOW - admin_sessions.LINK_LIFETIME - timedelta(seconds=1)
    )
    csrf = csrf_of((await web_client.get(f"/admin/link/{code}")).text)
    answer = await web_client.post(f"/admin/link/{code}", data={"_csrf_token": csrf})
    assert answer.status_code == 401


async def test_sessions_expire_when_idle_and_in_any_case(db: Database, shop: Shop) -> None:
    """A session unused for IDLE, or older than LIFETIME however used, is refused."""
    opened = await admin_sessions.open_with_token(db, shop.token, NOW)
    assert opened is not None
    assert await admin_sessions.identify(db, opened.secret, NOW + timedelta(hours=1))
    idle = NOW + timedelta(hours=1) + admin_sessions.IDLE
    assert await admin_sessions.identify(db, opened.secret, idle) is None
    kept = await admin_sessions.open_with_token(db, shop.token, NOW)
    assert kept is not None
    moment = NOW
    while moment < NOW + admin_sessions.LIFETIME - timedelta(hours=6):
        moment += timedelta(hours=6)
        assert await admin_sessions.identify(db, kept.secret, moment) is not None
    late = NOW + admin_sessions.LIFETIME
    assert await admin_sessions.identify(db, kept.secret, late) is None


async def test_a_session_made_by_one_process_works_in_another(
    db: Database, database_url: str, shop: Shop
) -> None:
    """Two app instances on one database (two processes' worth: each its own engine) accept
    each other's sessions and CSRF tokens."""
    other_db = Database.from_url(database_url)
    try:
        first = create_app(db, clock=lambda: NOW)
        second = create_app(other_db, clock=lambda: NOW)
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=first), base_url="http://testserver"
            ) as one,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=second), base_url="http://testserver"
            ) as two,
        ):
            _, csrf = await signed_in_client(one, shop.token)
            two.cookies.update(one.cookies)
            assert await signed_in(two)
            out = await two.post("/admin/sign-out", data={"_csrf_token": csrf})
            assert out.status_code == 303
            assert not await signed_in(one)
    finally:
        await other_db.dispose()


async def test_failed_sign_ins_meet_the_throttle(web_client: httpx.AsyncClient, shop: Shop) -> None:
    """Past the failed-authentication limit a wrong token is answered 429 with Retry-After;
    the right token still signs in."""
    csrf = csrf_of((await web_client.get("/admin/sign-in")).text)
    statuses = []
    for _ in range(22):
        wrong = await web_client.post(
            "/admin/sign-in", data={"token": "bk_wrong", "_csrf_token": csrf}
        )
        statuses.append(wrong.status_code)
    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert wrong.headers["retry-after"]
    right = await web_client.post("/admin/sign-in", data={"token": shop.token, "_csrf_token": csrf})
    assert right.status_code == 303


@pytest.mark.parametrize("path", ["/admin", "/admin/anything"])
async def test_pages_need_a_session(web_client: httpx.AsyncClient, path: str) -> None:
    """Without a session every page sends the browser to the sign-in form."""
    answer = await web_client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/sign-in")


async def test_cookies_are_http_only_lax_and_secure_over_https(db: Database, shop: Shop) -> None:
    """The session cookie is HttpOnly and SameSite=Lax, and Secure when served over https."""
    app = create_app(db, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as client:
        csrf = csrf_of((await client.get("/admin/sign-in")).text)
        answer = await client.post(
            "/admin/sign-in", data={"token": shop.token, "_csrf_token": csrf}
        )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("booking_session=")
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie


async def test_an_unknown_page_answers_the_html_error_page(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """Signed in, an address no page answers is a 404 page in HTML, not JSON."""
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get("/admin/no-such-page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Not found" in answer.text


async def test_the_sweep_deletes_only_ended_sessions_and_spent_links(
    db: Database, shop: Shop
) -> None:
    """The hourly sweep removes sessions past their idle or absolute expiry and links that
    are used or expired; a live session and an unused link stay and still work."""
    old = await admin_sessions.open_with_token(db, shop.token, NOW - admin_sessions.LIFETIME)
    live = await admin_sessions.open_with_token(db, shop.token, NOW)
    spent = await admin_sessions.create_link(db, shop.business_id, NOW)
    assert await admin_sessions.open_with_link(db, spent, NOW)
    unused = await admin_sessions.create_link(db, shop.business_id, NOW)
    assert old is not None and live is not None
    # the old session and the used link; the session the link opened is live
    assert await admin_sessions.sweep(db, NOW + timedelta(minutes=1)) == 2
    assert await admin_sessions.identify(db, live.secret, NOW + timedelta(minutes=1))
    assert await admin_sessions.open_with_link(db, unused, NOW + timedelta(minutes=1))


async def test_signing_in_again_ends_the_previous_session(
    web_client: httpx.AsyncClient, shop: Shop
) -> None:
    """A browser that signs in again gets a new session; the cookie it held before is dead."""
    client, csrf = await signed_in_client(web_client, shop.token)
    before = client.cookies.get("booking_session")
    again = await client.post("/admin/sign-in", data={"token": shop.token, "_csrf_token": csrf})
    assert again.status_code == 303
    after = client.cookies.get("booking_session")
    assert before and after and before != after
    client.cookies.delete("booking_session")
    client.cookies.set("booking_session", before, path="/admin")
    assert not await signed_in(client)
