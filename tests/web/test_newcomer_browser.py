"""What a new owner sees in Chromium, at a laptop's and a phone's width: no page asks the
server for something it does not have, Setup's calendar-feed links each sit in a box of
their own instead of being drawn over each other, and a staff member's own-calendar busy
time is drawn on Today where its hours are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from booking.db import Database
from booking.services import calendar_connections
from booking.services.calendar_sync import SyncSettings, sync_now
from tests.calendars.feeds import GOOGLE_FEED
from tests.calendars.ics_server import IcsServer
from tests.conftest import NOW
from tests.web.conftest import Site, screenshot, sign_in
from tests.web.pages_browser import with_db

PAGES = ("/admin/today", "/admin/week", "/admin/book", "/admin/setup")


@pytest.mark.parametrize("width", [1280, 375])
def test_pages_load_nothing_missing(page: Any, site: Site, width: int) -> None:
    """Signing in and opening Today, Week, New booking and Setup makes no request the server
    answers 404 (a browser asks for an icon on every page: it must exist)."""
    page.set_viewport_size({"width": width, "height": 800})
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, site)
    for path in PAGES:
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    assert missing == []


@pytest.mark.parametrize("width", [1280, 375])
def test_setup_feed_links_do_not_overlap(page: Any, site: Site, width: int) -> None:
    """On Setup's overview each staff member's calendar-feed link is a box below the one
    before it, at both widths (they used to be drawn over one another)."""
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, site)
    page.goto(site.url + "/admin/setup")
    boxes = [b.bounding_box() for b in page.locator("section .secret").all()]
    assert len(boxes) == 2  # Sam's and Alex's
    first, second = boxes
    assert first is not None and second is not None
    assert first["y"] + first["height"] <= second["y"]
    screenshot(page, f"setup-feeds-{width}")


@pytest.fixture
def feed() -> Iterator[IcsServer]:
    with IcsServer.start() as server:
        server.body = GOOGLE_FEED
        yield server


def test_a_busy_time_is_drawn_where_its_hours_are(page: Any, site: Site, feed: IcsServer) -> None:
    """Sam's calendar holds a standup on Tuesday 1 December, 10:00-11:00 New York time: on
    Today its hatched "busy" block starts under the 10:00 mark and ends under 11:00 (the
    page's strict content policy allows no inline styles, so this is where it would break)."""

    async def connect_and_sync(db: Database) -> None:
        shop = site.shop
        made = await calendar_connections.create_connection(
            db, shop.business_id, shop.sam, now=NOW, allow_private=True,
            kind="ics", url=feed.url, name="Google",
        )  # fmt: skip
        await sync_now(
            db, shop.business_id, shop.sam, made.id,
            SyncSettings(timeout_seconds=2.0, allow_private=True), clock=lambda: NOW,
        )  # fmt: skip

    with_db(site, connect_and_sync)
    sign_in(page, site)
    page.goto(site.url + "/admin/today?day=2026-12-01")
    busy = page.locator('[data-staff="Sam"] .busy').bounding_box()
    ten = page.locator(".tick", has_text="10:00").bounding_box()
    eleven = page.locator(".tick", has_text="11:00").bounding_box()
    assert busy is not None and ten is not None and eleven is not None
    assert abs(busy["x"] - (ten["x"] + ten["width"] / 2)) < 3
    assert abs(busy["x"] + busy["width"] - (eleven["x"] + eleven["width"] / 2)) < 3
    screenshot(page, "today-busy")


def test_show_free_times_without_a_service_says_what_is_missing(page: Any, site: Site) -> None:
    """On New booking, "Show free times" before a service is chosen says, where the times
    would appear, to choose a service first; choosing one then lists its times."""
    sign_in(page, site)
    page.goto(site.url + "/admin/book")
    page.get_by_role("button", name="Show free times").click()
    message = page.locator("#slots #e-appointment_time")
    message.wait_for()
    assert message.inner_text() == "choose a service first: its length decides the times"
    page.get_by_label("Service").select_option(label="Haircut (30 min)")
    page.get_by_label("Day").fill("2026-12-01")
    page.get_by_role("button", name="Show free times").click()
    page.locator("#slots label.slot").first.wait_for()
    assert page.locator("#slots #e-appointment_time").count() == 0
