"""Helpers of the page tests that drive Chromium: write to the running server's database
through the services (the browser tests are synchronous, so each write runs its own loop),
and check that a page fits a phone's width."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from booking.db import Database
from tests.web.conftest import Site

T = TypeVar("T")
PHONE = {"width": 375, "height": 800}


def with_db(site: Site, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the site's database file (the server shares it, as a second
    process would), in a thread of its own: Playwright's loop holds this one."""

    async def run() -> T:
        db = Database.from_url(site.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=60)


def fits_a_phone(page: Any) -> bool:
    """Nothing makes the page wider than the phone: wide tables scroll inside their card."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= PHONE["width"]
