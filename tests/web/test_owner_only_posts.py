"""Every owner-only action of the web page refuses a staff token's session that posts to it
directly (a form it was never shown), whatever page it belongs to; and every POST of the web
page refuses a request without the CSRF token. The routes are read from the app, so a page
added later is covered too."""

from __future__ import annotations

import re
from typing import Any

import httpx

from booking.api.app import create_app
from booking.db import Database
from booking.models.token import TokenRole
from booking.services import tokens
from booking.web.session import require_owner
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client


def admin_handlers(db: Database) -> list[tuple[str, str, Any]]:
    """(method, path, handler) of every route of /admin."""
    app = create_app(db, clock=lambda: NOW)
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                found.append((method, route.path, handler))
    return found


def owner_only(handler: Any) -> bool:
    return require_owner in handler.resolve_guards()


def concrete(path: str, shop: Shop) -> str:
    """A path template with ids of the business's own rows filled in."""
    path = path.replace("{staff_id:int}", str(shop.sam))
    path = re.sub(r"\{on_date:str\}", "2026-12-24", path)
    return re.sub(r"\{\w+:int\}", "1", path)


async def test_a_post_under_an_owner_only_page_is_owner_only(db: Database) -> None:
    """Below every page only the owner may open, every POST is owner-only too."""
    handlers = admin_handlers(db)
    owner_pages = [p for m, p, h in handlers if m == "GET" and owner_only(h)]
    assert owner_pages
    unguarded = [
        p for m, p, h in handlers
        if m == "POST" and not owner_only(h)
        and any(p == page or p.startswith(page.rstrip("/") + "/") for page in owner_pages)
    ]  # fmt: skip
    assert unguarded == []


async def test_a_staff_session_posting_to_any_owner_only_action_is_refused(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Signed in with a staff token, a direct POST (with a valid CSRF token) to each
    owner-only action answers 403 and the page says why."""
    desk = await tokens.create_token(db, shop.business_id, "front desk", TokenRole.STAFF)
    client, csrf = await signed_in_client(web_client, desk.secret)
    posts = [p for m, p, h in admin_handlers(db) if m == "POST" and owner_only(h)]
    assert len(posts) >= 8
    for path in posts:
        answer = await client.post(concrete(path, shop), data={"_csrf_token": csrf, "name": "x"})
        assert answer.status_code == 403, (path, answer.status_code)
        assert "signed in with a staff token" in answer.text, path


async def test_every_post_without_the_csrf_token_is_refused(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Every POST of the web page (sign-in and sign-out included), as a form or as htmx,
    is refused with 403 when it carries no CSRF token, even from a signed-in owner."""
    client, _ = await signed_in_client(web_client, shop.token)
    posts = sorted({p for m, p, _ in admin_handlers(db) if m == "POST"})
    assert "/admin/sign-in" in posts and "/admin/sign-out" in posts
    for path in posts:
        for headers in ({}, {"HX-Request": "true"}):
            answer = await client.post(
                concrete(path, shop).replace("{code:str}", "bk_link_x"),
                data={"name": "x", "token": shop.token},
                headers=headers,
            )
            assert answer.status_code == 403, (path, headers, answer.status_code)
