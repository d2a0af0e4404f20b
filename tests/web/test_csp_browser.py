"""The web page under its Content-Security-Policy in a real browser (Chromium): nothing it
needs is refused, htmx still swaps, and the timeline is still drawn to scale."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.conftest import Site, sign_in

TODAY = "2026-11-30"  # the server's clock: Monday 30 November 2026, 08:00 in New York


def _book(site: Site, at: str) -> None:
    shop = site.shop
    answer = httpx.post(
        site.url + "/api/appointments",
        headers={"Authorization": f"Bearer {site.token}"},
        json={"customer_id": shop.ada, "staff_id": shop.sam, "service_id": shop.haircut,
              "appointment_date": TODAY, "appointment_time": at},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text


def test_pages_work_and_nothing_is_refused_by_the_policy(page: Any, site: Site) -> None:
    """Signed in, Today's timeline places an appointment at its time (10:00 lies between the
    lane's start and its end, its width a 30-minute share), opening it swaps the detail in
    with htmx, and the browser reports no violation of the policy on any of it."""
    _book(site, "10:00")
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective))"
    )
    sign_in(page, site)
    page.goto(site.url + "/admin/today")
    appointment = page.locator("a.appt").first
    lane = appointment.locator("xpath=..")
    box, lane_box = appointment.bounding_box(), lane.bounding_box()
    assert box is not None and lane_box is not None
    assert box["x"] > lane_box["x"] + 1  # not piled at the lane's start
    assert 0 < box["width"] < lane_box["width"] / 4
    appointment.click()
    page.locator("#detail").get_by_text("Ada").first.wait_for()
    for path in ("/admin/week", "/admin/customers", "/admin/setup"):
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    assert refused == []
