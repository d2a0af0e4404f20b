"""What a new owner sees in Chromium, at a laptop's and a phone's width: no page asks the
server for something it does not have, and Setup's calendar-feed links each sit in a box of
their own instead of being drawn over each other."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Site, screenshot, sign_in

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
