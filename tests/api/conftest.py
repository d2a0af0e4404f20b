"""An in-process client for the app on the test database, with the clock fixed at NOW.

httpx's ASGI transport runs the app in the test's own event loop, which asyncpg requires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from booking.api.app import create_app
from booking.db import Database
from tests.conftest import NOW
from tests.factories import Shop


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(db, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
async def week_later(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The same app a week after NOW: the appointments booked at NOW have happened, so they
    can be marked completed or no-show."""
    app = create_app(db, clock=lambda: NOW + timedelta(days=7))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def auth(shop: Shop) -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.token}"}
