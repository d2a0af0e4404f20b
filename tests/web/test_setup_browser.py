"""Setup in a real browser (Chromium via Playwright): weekly hours edited to give a lunch
break take that hour out of the free times shown, signing out everywhere ends another
browser's one-time-link session, and every Setup page is saved as a screenshot and read at a
phone's width."""

from __future__ import annotations

from typing import Any

from booking.services import admin_sessions
from tests.conftest import NOW
from tests.web.conftest import Site, screenshot, sign_in
from tests.web.pages_browser import PHONE, fits_a_phone, with_db

WEDNESDAY = "2026-12-02"  # Alex works Tuesday to Saturday 10:00-13:00 and 13:30-18:00


def _free_times(page: Any) -> list[str]:
    free = page.get_by_role("list", name="Free start times")
    return [] if free.count() == 0 else free.locator("li").all_inner_texts()


def _offered_on_new_booking(page: Any, site: Site) -> set[str]:
    """The times New booking offers for a beard trim (15 minutes) with Alex on Wednesday."""
    shop = site.shop
    page.goto(
        f"{site.url}/admin/book?service_id={shop.trim}&staff_id={shop.alex}"
        f"&appointment_date={WEDNESDAY}"
    )
    values = page.locator('input[name="slot"]').evaluate_all("radios => radios.map(r => r.value)")
    return {value.partition("|")[0] for value in values}


def _set_wednesday(page: Any, intervals: list[tuple[str, str]]) -> None:
    for row in range(2):
        opens, closes = intervals[row] if row < len(intervals) else ("", "")
        page.get_by_label(f"Wednesday, interval {row + 1}, opens").fill(opens)
        page.get_by_label(f"Wednesday, interval {row + 1}, closes").fill(closes)
    page.get_by_role("button", name="Save weekly hours").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()


def test_a_lunch_break_changes_the_free_times(page: Any, site: Site) -> None:
    """Alex's Wednesday as one interval offers 13:00 and 13:15, on his page and on New
    booking; typed as 10:00-13:00 and 14:00-18:00 neither page offers anything from 12:45
    (12:30 and 14:00 still)."""
    sign_in(page, site)
    page.goto(site.url + "/admin/setup/staff")
    page.get_by_role("link", name="Alex").click()
    page.get_by_role("heading", name="Alex", exact=True).wait_for()
    _set_wednesday(page, [("10:00", "18:00")])
    page.get_by_label("Day", exact=True).fill(WEDNESDAY)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**day={WEDNESDAY}**")
    whole_day = _free_times(page)
    assert {"13:00", "13:15", "13:30"} <= set(whole_day)
    assert {"12:45", "13:00", "13:15"} <= _offered_on_new_booking(page, site)
    page.goto(f"{site.url}/admin/setup/staff/{site.shop.alex}")
    _set_wednesday(page, [("10:00", "13:00"), ("14:00", "18:00")])
    page.goto(f"{site.url}/admin/setup/staff/{site.shop.alex}?day={WEDNESDAY}#free")
    with_lunch = _free_times(page)
    assert "12:30" in with_lunch and "14:00" in with_lunch
    assert not {"12:45", "13:00", "13:15", "13:30", "13:45"} & set(with_lunch)
    screenshot(page, "setup-member")
    offered = _offered_on_new_booking(page, site)
    assert "12:30" in offered and "14:00" in offered
    assert not {"13:00", "13:15", "13:30", "13:45"} & offered
    screenshot(page, "new-booking-after-lunch-break")


def test_every_setup_page_reads_on_a_laptop_and_a_phone(page: Any, site: Site) -> None:
    """Each Setup page opens for the owner, keyboard-reachable from the Setup tabs, and fits
    a 375-pixel-wide phone without sideways scrolling."""
    sign_in(page, site)
    pages = {
        "setup": "/admin/setup",
        "setup-business": "/admin/setup/business",
        "setup-staff": "/admin/setup/staff",
        "setup-services": "/admin/setup/services",
        "setup-closures": "/admin/setup/closures",
        "setup-tokens": "/admin/setup/tokens",
        "setup-webhooks": "/admin/setup/webhooks",
        "setup-sign-out-everywhere": "/admin/setup/sessions/end",
    }
    for name, path in pages.items():
        page.set_viewport_size({"width": 1280, "height": 860})
        page.goto(site.url + path)
        assert page.locator("h1").count() == 1, path
        screenshot(page, name)
        page.set_viewport_size(PHONE)
        assert fits_a_phone(page), path
        screenshot(page, f"{name}-phone")
    page.goto(site.url + "/admin/setup")
    tabs = page.get_by_role("navigation", name="Setup")
    tabs.get_by_role("link", name="Services").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/setup/services")


def test_signing_out_everywhere_ends_a_one_time_link_session(
    browser: Any, page: Any, site: Site
) -> None:
    """Another browser signed in with a one-time link is listed on the access page; after
    the owner confirms "Sign out everywhere", both browsers are back at the sign-in form."""
    code = with_db(site, lambda db: admin_sessions.create_link(db, site.shop.business_id, NOW))
    other = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    try:
        phone = other.new_page()
        phone.goto(f"{site.url}/admin/link/{code}")
        phone.get_by_role("button", name="Sign in").click()
        phone.wait_for_url(lambda url: "/admin/sign-in" not in url and "/link/" not in url)

        sign_in(page, site)
        page.goto(site.url + "/admin/setup/tokens")
        sessions = page.locator("#sessions")
        assert "a one-time link" in sessions.inner_text()
        assert "(this browser)" in sessions.inner_text()
        sessions.get_by_role("link", name="Sign out everywhere…").click()
        page.get_by_role("heading", name="Sign out everywhere?").wait_for()
        page.get_by_role("button", name="Sign out everywhere").click()
        page.wait_for_url("**/admin/sign-in?signed_out=everywhere")
        notice = page.locator("p.notice[role=status]").inner_text()
        assert notice == "Every session of this page has ended, this one included."
        screenshot(page, "signed-out-everywhere")

        phone.goto(site.url + "/admin/today")
        assert "/admin/sign-in" in phone.url
    finally:
        other.close()
