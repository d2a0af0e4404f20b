"""Signing in to the owner's web page in a real browser (Chromium via Playwright)."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Site, screenshot, sign_in


def test_owner_signs_in_with_the_token_and_out_again(page: Any, site: Site) -> None:
    """The token form signs the owner in: the bar shows the business and Sign out; signing
    out goes back to the sign-in form, and /admin then asks to sign in again."""
    page.goto(site.url + "/admin")
    assert page.url.endswith("/admin/sign-in")
    screenshot(page, "sign-in")
    sign_in(page, site)
    assert "/admin/sign-in" not in page.url
    assert page.locator("header .brand").inner_text() == "Test Salon"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/admin/sign-in")
    page.goto(site.url + "/admin")
    assert page.url.endswith("/admin/sign-in")


def test_a_wrong_token_is_refused_next_to_its_field(page: Any, site: Site) -> None:
    """A wrong token leaves the owner on the sign-in form with the reason beside the field."""
    sign_in(page, site, token="bk_not-a-real-token")
    assert page.url.endswith("/admin/sign-in")
    error = page.locator("#e-token")
    assert "unknown or has been revoked" in error.inner_text()
    assert page.get_by_label("Admin token").get_attribute("aria-invalid") == "true"
    screenshot(page, "sign-in-refused")
