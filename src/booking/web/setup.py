"""Setup: the overview of the business's set-up, its parts (owner-only parts shown to an
owner's session only) and every staff member's calendar-feed link."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from booking.api.calendar_feed import feed_url
from booking.api.state import database
from booking.services import staff
from booking.web.nav import NavEntry
from booking.web.render import page
from booking.web.session import current_business


class SetupPages(Controller):
    path = "/setup"
    nav = NavEntry("Setup", "/setup")

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        db, owner = database(request), current_business(request)
        feeds = []
        for member in await staff.list_staff(db, owner, active_only=True):
            key = await staff.calendar_key_of(db, owner, member.id)
            feeds.append({"m": member, "url": feed_url(request, member.id, key) if key else None})
        return page(request, "setup.html", title="Setup", feeds=feeds)
