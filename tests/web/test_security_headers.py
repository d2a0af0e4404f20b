"""The security headers on every answer under /admin: pages, htmx fragments, the sign-in and
one-time link forms, error pages and the CSRF refusal; the static files keep their caching."""

from __future__ import annotations

import httpx
import pytest

from booking.db import Database
from booking.services import admin_sessions
from booking.web.headers import CONTENT_SECURITY_POLICY
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client


def assert_protected(answer: httpx.Response, *, cached: bool = False) -> None:
    headers = answer.headers
    csp = headers.get("content-security-policy", "")
    assert csp == CONTENT_SECURITY_POLICY, answer.request.url
    for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "no-referrer"
    if not cached:
        assert headers.get("cache-control") == "no-store", answer.request.url


async def test_signed_out_pages_carry_the_headers(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """The sign-in form, a one-time link's form (whose address holds its code), the redirect
    to sign in and the CSRF refusal all carry the headers; none may be cached."""
    code = await admin_sessions.create_link(db, shop.business_id, NOW)
    for path in ("/admin/sign-in", f"/admin/link/{code}", "/admin/today"):
        assert_protected(await web_client.get(path))
    refused = await web_client.post("/admin/sign-in", data={"token": shop.token})
    assert refused.status_code == 403
    assert_protected(refused)


@pytest.mark.parametrize(
    "path",
    ["/admin/today", "/admin/week", "/admin/customers", "/admin/calls", "/admin/setup",
     "/admin/no-such-page", "/admin/appointments/999999"],
)  # fmt: skip
async def test_signed_in_pages_and_errors_carry_the_headers(
    web_client: httpx.AsyncClient, shop: Shop, path: str
) -> None:
    """Every page of a signed-in owner, a 404 page included, carries the headers and is
    never stored (they hold customers' names and phone numbers)."""
    client, _ = await signed_in_client(web_client, shop.token)
    answer = await client.get(path, follow_redirects=True)
    assert answer.status_code in (200, 404), answer.text
    assert_protected(answer)


async def test_htmx_fragments_carry_the_headers(web_client: httpx.AsyncClient, shop: Shop) -> None:
    """A piece of page fetched by htmx carries them as well, and so does an htmx error."""
    client, _ = await signed_in_client(web_client, shop.token)
    htmx = {"HX-Request": "true"}
    assert_protected(await client.get("/admin/customers?q=Ada", headers=htmx))
    missing = await client.get("/admin/appointments/999999", headers=htmx)
    assert missing.status_code == 404
    assert_protected(missing)


async def test_static_files_may_be_cached_but_not_sniffed(web_client: httpx.AsyncClient) -> None:
    """The stylesheet and scripts are not personal: cacheable, yet nosniff and the rest."""
    for path in ("/admin/static/app.css", "/admin/static/timeline.js"):
        answer = await web_client.get(path)
        assert answer.status_code == 200
        assert_protected(answer, cached=True)
        assert answer.headers.get("cache-control") != "no-store"
