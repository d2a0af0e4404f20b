"""The book in a real browser: today's timeline, a booking for a new customer, moving it,
cancelling it; screenshots of each page (Chromium via Playwright)."""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import pytest

from tests.web.conftest import ROOT, Site, screenshot, sign_in

DOCS = ROOT / "docs" / "screenshots"

TODAY = "2026-11-30"  # the server's clock: Monday 30 November 2026, 08:00 in New York
TUESDAY = "2026-12-01"


def _api(site: Site, path: str, body: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(
        site.url + path, headers={"Authorization": f"Bearer {site.token}"}, json=body
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, object] = answer.json()
    return found


@pytest.fixture(scope="module")
def booked_today(site: Site) -> int:
    """Today's book, made through the API as a client would: Ada's haircut with Sam at 10:00
    (returned), Linus's beard trim at 11:15 and Margaret's colour at 14:00."""
    shop = site.shop
    linus = _api(site, "/api/customers", {"name": "Linus", "phone": "+12125550150"})["id"]
    margaret = _api(site, "/api/customers", {"name": "Margaret", "phone": "+12125550151"})["id"]
    booked = [
        _api(
            site,
            "/api/appointments",
            {
                "customer_id": customer,
                "staff_id": shop.sam,
                "service_id": service,
                "appointment_date": TODAY,
                "appointment_time": at,
            },
        )
        for customer, service, at in (
            (shop.ada, shop.haircut, "10:00"),
            (linus, shop.trim, "11:15"),
            (margaret, shop.haircut, "14:00"),
        )
    ]
    return int(str(booked[0]["id"]))


def test_signing_in_opens_todays_book(page: Any, site: Site, booked_today: int) -> None:
    """After signing in the owner sees today's date, each staff member's lane with their
    working hours, and today's three appointments on Sam's lane, Ada's 10:00 haircut first;
    clicking it shows its details."""
    sign_in(page, site)
    page.wait_for_url("**/admin/today")
    assert page.get_by_role("heading", level=1).inner_text() == "Monday 30 November 2026"
    sam = page.locator('.row[data-staff="Sam"]')
    assert sam.locator(".appt").count() == 3
    appointment = sam.locator(".appt").first
    assert "10:00" in appointment.inner_text()
    assert "Ada" in appointment.inner_text()
    assert sam.locator(".open").count() == 2  # 9-12 and 13-17: the lunch break stays shaded
    screenshot(page, "today")
    if os.environ.get("BOOKING_DOCS_SCREENSHOTS"):  # refreshes the README's picture
        page.screenshot(path=str(DOCS / "today.png"))
    appointment.click()
    detail = page.locator("#detail .appointment")
    detail.wait_for()
    assert "Haircut with Sam" in detail.inner_text()
    assert "+1 234-567-8900" in detail.inner_text()  # written as a person writes it
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "today-phone")


def test_the_week_shows_seven_days(page: Any, site: Site, booked_today: int) -> None:
    """The week runs Monday to Sunday with a timeline for each day; Sam has Saturday off by
    his weekly hours, so his Saturday lane has no working hours."""
    sign_in(page, site)
    page.goto(site.url + "/admin/week")
    sheets = page.locator("section.sheet")
    assert sheets.count() == 7
    assert "Monday 30 November" in sheets.nth(0).inner_text()
    saturday = sheets.nth(5).locator('.row[data-staff="Sam"] .open')
    assert saturday.count() == 0
    screenshot(page, "week")


def test_book_a_new_customer_then_move_and_cancel(page: Any, site: Site) -> None:
    """New booking: Haircut with Sam on Tuesday shows his free times; 09:00 booked for a new
    customer lands on the appointment's page; moving it to a free 11:00 and cancelling it
    are each shown there."""
    sign_in(page, site)
    page.get_by_role("link", name="New booking").click()
    page.get_by_label("Service").select_option(label="Haircut (30 min)")
    page.get_by_label("Staff").select_option(label="Sam")
    page.get_by_label("Day").fill(TUESDAY)
    page.get_by_role("button", name="Show free times").click()
    page.locator("#slots label.slot").first.wait_for()
    screenshot(page, "new-booking")
    page.locator("#slots label.slot", has_text="09:00 · Sam").click()
    page.get_by_label("A new customer").check()
    page.get_by_label("New customer's name").fill("Grace Hopper")
    page.get_by_label("Phone", exact=True).fill("(212) 555-0142")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(r".*/admin/appointments/\d+\?done=booked"))
    card = page.locator(".appointment")
    assert "Booked." in card.inner_text()
    assert "Grace Hopper" in card.inner_text()
    assert "Tuesday 1 December 2026, 09:00" in card.inner_text()
    screenshot(page, "appointment")

    page.get_by_role("button", name="Show free times").click()
    page.locator(".free-times button.slot").first.wait_for()
    page.locator(".free-times button.slot", has_text="11:00 · Sam").click()
    page.wait_for_url("**?done=moved")
    assert "Tuesday 1 December 2026, 11:00" in page.locator(".appointment").inner_text()

    page.get_by_text("Cancel this appointment…").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_url("**?done=cancelled")
    assert page.locator(".status").inner_text() == "cancelled"
    screenshot(page, "appointment-cancelled")


def test_a_refused_cancel_is_said_on_the_appointments_page(page: Any, site: Site) -> None:
    """An appointment cancelled through the API while its page was open: "Yes, cancel it"
    stays on the appointment's page, which now says cancelled and why nothing was done."""
    shop = site.shop
    booked = _api(
        site,
        "/api/appointments",
        {"customer_id": shop.ada, "staff_id": shop.sam, "service_id": shop.trim,
         "appointment_date": "2026-12-02", "appointment_time": "15:00"},
    )  # fmt: skip
    sign_in(page, site)
    page.goto(f"{site.url}/admin/appointments/{booked['id']}")
    cancelled = httpx.post(
        f"{site.url}/api/appointments/{booked['id']}/cancel",
        headers={"Authorization": f"Bearer {site.token}"},
    )
    assert cancelled.status_code == 200, cancelled.text
    page.get_by_text("Cancel this appointment…").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_load_state()
    card = page.locator(".appointment")
    assert card.get_by_role("alert").inner_text() == "This appointment is already cancelled"
    assert page.locator(".status").inner_text() == "cancelled"
    assert page.url.endswith(f"/admin/appointments/{booked['id']}/cancel")
    screenshot(page, "appointment-refused")


def test_the_book_works_from_the_keyboard(page: Any, site: Site, booked_today: int) -> None:
    """An appointment on the timeline is a link: reached with Tab and opened with Enter, its
    details load beside the book; the one-time-link page and the error page are screenshot."""
    sign_in(page, site)
    page.goto(site.url + "/admin/today")
    first = page.locator(".appt").first
    for _ in range(40):
        page.keyboard.press("Tab")
        if first.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the first appointment")
    page.keyboard.press("Enter")
    page.locator("#detail .appointment").wait_for()
    assert "Haircut with Sam" in page.locator("#detail").inner_text()
    page.goto(site.url + "/admin/appointments/999999")
    assert "Not found" in page.locator("main").inner_text()
    screenshot(page, "error-page")
    page.goto(site.url + "/admin/link/bkl_not-a-real-link")
    screenshot(page, "sign-in-link")


@pytest.mark.parametrize("path", ["/admin/today", "/admin/week", "/admin/book"])
def test_pages_fit_a_phone(page: Any, site: Site, booked_today: int, path: str) -> None:
    """At 375 px wide the page itself never scrolls sideways (a timeline scrolls inside its
    own box), and the navigation stays on screen."""
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, site)
    page.goto(site.url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out is not None and sign_out["x"] + sign_out["width"] <= 375
    screenshot(page, "phone" + path.replace("/admin", "").replace("/", "-"))
