"""Every table of the owner's page reads at a phone's width (375 px): nothing scrolls
sideways, the page's or a table's own, and the buttons in a table (Revoke) are on screen."""

from __future__ import annotations

from typing import Any

from booking.db import Database
from booking.services import calendar_connections, tokens, webhooks
from tests.conftest import NOW
from tests.web.conftest import Site, screenshot, sign_in
from tests.web.pages_browser import PHONE, with_db
from tests.web.pages_seed import recorded_call

NO_SIDEWAYS_SCROLL = """() => {
  const wide = [document.documentElement, ...document.querySelectorAll('.scroll, table')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => (el.className || el.tagName) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  if (document.documentElement.scrollWidth > window.innerWidth) wide.push('page');
  return wide;
}"""


def _seed(site: Site) -> tuple[int, int]:
    """A token with a long name, a call, a webhook and a calendar: (webhook id, Sam's id)."""

    async def work(db: Database) -> tuple[int, int]:
        shop = site.shop
        await tokens.create_token(db, shop.business_id, "Front desk tablet by the door", "staff")
        await recorded_call(db, shop, NOW)
        hook = await webhooks.create_subscription(
            db, shop.business_id, "https://127.0.0.1:8443/hooks/a-rather-long-path-for-bookings",
            ["appointment.booked"], allow_private=True,
        )  # fmt: skip
        await calendar_connections.create_connection(
            db, shop.business_id, shop.sam, now=NOW, allow_private=True,
            kind="ics", url="https://127.0.0.1:8443/calendars/sam-private-feed.ics", name="Google",
        )  # fmt: skip
        return hook.id, shop.sam

    return with_db(site, work)


def test_every_table_reads_at_375_pixels(page: Any, site: Site) -> None:
    """Tokens, sessions, calls, customers, a customer, webhooks and their deliveries, staff,
    services, closures and a member's calendars: at 375 px no part scrolls sideways, and each
    token's Revoke button lies wholly inside the viewport."""
    hook, sam = _seed(site)
    sign_in(page, site)
    page.set_viewport_size(PHONE)
    paths = [
        "/admin/setup/tokens", "/admin/calls", "/admin/customers",
        f"/admin/customers/{site.shop.ada}", "/admin/setup/webhooks",
        f"/admin/setup/webhooks/{hook}", "/admin/setup/staff", "/admin/setup/services",
        "/admin/setup/closures", f"/admin/setup/staff/{sam}",
    ]  # fmt: skip
    for path in paths:
        page.goto(site.url + path)
        assert page.evaluate(NO_SIDEWAYS_SCROLL) == [], path
        screenshot(page, "narrow" + path.replace("/", "-"))
    page.goto(site.url + "/admin/setup/tokens")
    buttons = page.get_by_role("button", name="Revoke the token")
    assert buttons.count() >= 2
    for i in range(buttons.count()):
        buttons.nth(i).scroll_into_view_if_needed()
        box = buttons.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
