"""Setup's destructive buttons in a real browser: Revoke opens a confirmation page (which fits
a phone), "Keep it" leaves the token working, and only the confirmation's button revokes it."""

from __future__ import annotations

from typing import Any

from booking.db import Database
from booking.models.token import TokenRole
from booking.services import tokens
from booking.services.tokens import IssuedToken
from tests.web.conftest import Site, screenshot, sign_in
from tests.web.pages_browser import PHONE, fits_a_phone, with_db


def test_revoke_asks_then_revokes(page: Any, site: Site) -> None:
    """At 375 px: Revoke shows "Revoke the token “kiosk”?"; Keep it goes back with the token
    still signing in; Revoke again and the confirmation's button revokes it."""

    async def issue(db: Database) -> IssuedToken:
        return await tokens.create_token(db, site.shop.business_id, "kiosk", TokenRole.STAFF)

    async def works(db: Database) -> bool:
        return await tokens.identify(db, kiosk.secret) is not None

    kiosk = with_db(site, issue)
    sign_in(page, site)
    page.set_viewport_size(PHONE)
    page.goto(site.url + "/admin/setup/tokens")
    page.get_by_role("button", name="Revoke the token kiosk").click()
    page.get_by_role("heading", name="Revoke the token “kiosk”?").wait_for()
    assert fits_a_phone(page)
    screenshot(page, "confirm-revoke-phone")
    page.get_by_role("link", name="Keep it").click()
    page.wait_for_url("**/admin/setup/tokens")
    assert with_db(site, works)
    page.get_by_role("button", name="Revoke the token kiosk").click()
    page.get_by_role("button", name="Revoke “kiosk”").click()
    page.wait_for_url("**/admin/setup/tokens")
    assert not with_db(site, works)
    assert "revoked" in page.get_by_role("row").filter(has_text="kiosk").inner_text()
