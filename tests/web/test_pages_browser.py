"""Calls, Messages and Customers in a real browser (Chromium via Playwright): reading a
call's transcript, marking a message handled from the keyboard, finding and editing a
customer, erasing one after confirming; each page is saved as a screenshot and read at a
phone's width."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from booking.db import Database
from booking.services import customers
from tests.conftest import NOW
from tests.web.conftest import Site, screenshot, sign_in
from tests.web.pages_browser import PHONE, fits_a_phone, with_db
from tests.web.pages_seed import TRANSCRIPT, message, recorded_call


def test_reading_a_calls_transcript(page: Any, site: Site) -> None:
    """From the log, the call's page shows every turn, the tool calls with their arguments,
    results and latencies, and links to the appointment it booked."""

    async def seed(db: Database) -> tuple[int, int]:
        call_id, booked = await recorded_call(db, site.shop, NOW - timedelta(minutes=30))
        assert booked is not None
        return call_id, booked.id

    call_id, appointment_id = with_db(site, seed)
    sign_in(page, site)
    page.goto(site.url + "/admin/calls")
    screenshot(page, "calls")
    page.get_by_role("link", name="Mon 30 Nov 2026, 07:30").click()
    page.wait_for_url(f"**/admin/calls/{call_id}")
    transcript = page.locator("ol.transcript")
    for _, text in TRANSCRIPT:
        assert text in transcript.inner_text()
    tools = page.locator("ol.tools").inner_text()
    assert "check_availability" in tools and "23 ms" in tools and '"service": "Haircut"' in tools
    assert "book_appointment" in tools and "41 ms" in tools
    booked = page.get_by_role("link", name="Tue 1 Dec 2026, 10:00")
    assert booked.get_attribute("href") == f"/admin/appointments/{appointment_id}"
    screenshot(page, "call")
    page.set_viewport_size(PHONE)
    assert fits_a_phone(page)
    screenshot(page, "call-phone")


def test_filtering_the_call_log_in_place(page: Any, site: Site) -> None:
    """The filters update the log without leaving the page (the address follows them), and a
    refused filter shows its reason beside its field."""
    with_db(site, lambda db: recorded_call(db, site.shop, NOW - timedelta(hours=5), book_at=None))
    sign_in(page, site)
    page.goto(site.url + "/admin/calls")
    page.get_by_label("Outcome").select_option("refused")
    page.get_by_role("button", name="Show calls").click()
    page.get_by_text("No calls match.").wait_for()
    assert "outcome=refused" in page.url
    page.get_by_label("Outcome").select_option("info")
    page.get_by_role("button", name="Show calls").click()
    page.get_by_role("link", name="Mon 30 Nov 2026, 03:00").wait_for()
    page.get_by_label("Caller's number").fill("12")
    page.get_by_role("button", name="Show calls").click()
    page.locator("#e-number").wait_for()
    assert "at least four of its digits" in page.locator("#e-number").inner_text()
    screenshot(page, "calls-refused-filter")
    page.set_viewport_size(PHONE)
    page.goto(site.url + "/admin/calls")
    assert fits_a_phone(page)
    screenshot(page, "calls-phone")


def test_marking_a_message_handled_from_the_keyboard(page: Any, site: Site) -> None:
    """The message shows its call-back number as a tel: link; Enter on "Mark handled"
    swaps the message to handled in place, and the open inbox no longer lists it."""
    with_db(site, lambda db: message(db, site.shop, "Please move my Friday appointment"))
    sign_in(page, site)
    page.goto(site.url + "/admin/messages")
    item = page.locator("li.message", has_text="Please move my Friday appointment")
    assert item.get_by_role("link", name=re.compile("Call back")).get_attribute("href") == (
        "tel:+12125550123"
    )
    screenshot(page, "messages")
    item.get_by_role("button", name="Mark the message from Bo handled").focus()
    page.keyboard.press("Enter")
    item.get_by_text(re.compile("^Handled ")).wait_for()
    assert page.url.endswith("/admin/messages")  # swapped in place, no page load
    page.reload()
    assert page.locator("li.message", has_text="Please move my Friday appointment").count() == 0
    page.set_viewport_size(PHONE)
    page.goto(site.url + "/admin/messages?show=all")
    assert fits_a_phone(page)
    screenshot(page, "messages-phone")


def test_finding_and_editing_a_customer(page: Any, site: Site) -> None:
    """Typing part of a name finds the customer; a bad email is shown beside its field;
    the corrected form is saved and shown on their page."""
    with_db(
        site,
        lambda db: customers.create_customer(
            db, site.shop.business_id, phone="+12125550147", name="Grace Hopper"
        ),
    )
    sign_in(page, site)
    page.goto(site.url + "/admin/customers")
    page.get_by_label("Name or phone number").fill("hopp")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Grace Hopper").click()
    page.get_by_role("heading", name="Grace Hopper").wait_for()
    screenshot(page, "customer")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Email", exact=True).fill("grace(at)navy")
    page.get_by_role("button", name="Save").click()
    assert "is not an email address" in page.locator("#e-email").inner_text()
    assert page.get_by_label("Email", exact=True).get_attribute("aria-invalid") == "true"
    screenshot(page, "customer-edit-refused")
    page.get_by_label("Name", exact=True).fill("Grace B. Hopper")
    page.get_by_label("Email", exact=True).fill("grace@example.com")
    page.get_by_label("By email (needs an email address)").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    facts = page.locator("dl.facts").inner_text()
    assert "grace@example.com" in facts and "Grace B. Hopper" in page.locator("h1").inner_text()

    async def stored(db: Database) -> customers.CustomerInfo | None:
        return await customers.find_by_phone(db, site.shop.business_id, "+12125550147")

    saved = with_db(site, stored)
    assert saved is not None and saved.email_consent and saved.name == "Grace B. Hopper"


def test_erasing_a_customer_after_confirming(page: Any, site: Site) -> None:
    """ "Erase…" first shows what will go; only its button erases, and the customer is then
    found no more."""
    with_db(
        site,
        lambda db: customers.create_customer(
            db, site.shop.business_id, phone="+12125550166", name="Linus Erased"
        ),
    )
    sign_in(page, site)
    page.goto(site.url + "/admin/customers?q=Linus")
    page.get_by_role("link", name="Linus Erased").click()
    page.get_by_role("link", name="Erase…").click()
    page.get_by_role("heading", name="Erase Linus Erased?").wait_for()
    screenshot(page, "customer-erase")
    page.get_by_role("button", name="Erase Linus Erased").click()
    page.get_by_text("The customer has been erased").wait_for()
    page.get_by_label("Name or phone number").fill("Linus")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No customer matches").wait_for()
    screenshot(page, "customers")
    page.set_viewport_size(PHONE)
    for path in ("/admin/customers?q=a", f"/admin/customers/{site.shop.ada}",
                 f"/admin/customers/{site.shop.ada}/edit"):  # fmt: skip
        page.goto(site.url + path)
        assert fits_a_phone(page), path
    screenshot(page, "customer-edit-phone")
    found = with_db(
        site, lambda db: customers.find_by_phone(db, site.shop.business_id, "+12125550166")
    )
    assert found is None
