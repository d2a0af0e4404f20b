"""Fixtures for the owner's web page: a real server on a free port, a seeded business, and a
Chromium page driven by Playwright.

How to test a new page:

- Plain HTTP (no browser): use `site` for a live server (`site.url`, `site.shop`, `site.token`),
  or `web_client(db)` style in-process tests with `signed_in_client` below.
- In a browser: take `page` (skips, saying why, when Playwright or Chromium is missing), call
  `sign_in(page, site)`, go to `site.url + "/admin/..."`, assert what the page shows, and call
  `screenshot(page, "name")` (PNG under .artifacts/screenshots/, kept as a test artefact).

The server's clock is `site.clock.now` (fixed at tests.conftest.NOW, a Monday 08:00 in New
York; a test may move it and should put it back). The database is a SQLite file per test
module, seeded with `tests.factories.make_shop` (Sam, Alex, three services, customer Ada).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from booking import migrate
from booking.api.app import create_app
from booking.db import Database, make_engine
from tests.conftest import NOW
from tests.factories import Shop, make_shop

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Clock:
    """The server's "now", which a test may move."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    """A running server: where it is, what it was seeded with, and its clock."""

    url: str
    database_url: str
    shop: Shop
    clock: Clock = field(default_factory=Clock)

    @property
    def token(self) -> str:
        """The seeded business's owner token."""
        return self.shop.token


def _free_socket() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    return listener


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, saying when it listens, and leaving signals to pytest."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    def install_signal_handlers(self) -> None:
        return

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


class _Server(threading.Thread):
    """The app under uvicorn in a thread with its own event loop (the database's loop)."""

    def __init__(self, database_url: str, clock: Clock) -> None:
        super().__init__(daemon=True, name="web-test-server")
        self.database_url = database_url
        self.clock = clock
        self.listener = _free_socket()
        self.ready = threading.Event()
        self.shop: Shop | None = None
        self.failure: BaseException | None = None
        self.server: _Uvicorn | None = None

    async def _serve(self) -> None:
        engine = make_engine(self.database_url)
        await migrate.upgrade(engine)
        await engine.dispose()
        db = Database.from_url(self.database_url, pool_size=5)
        try:
            self.shop = await make_shop(db)
            app = create_app(db, clock=self.clock)
            config = uvicorn.Config(app, log_level="warning", log_config=None, lifespan="on")
            self.server = _Uvicorn(config)
            serving = asyncio.create_task(self.server.serve(sockets=[self.listener]))
            listening = asyncio.create_task(self.server.listening.wait())
            await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
            listening.cancel()
            self.ready.set()
            await serving
        finally:
            await db.dispose()

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self.failure = exc
        finally:
            self.ready.set()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.join(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A real HTTP server on a free port over a fresh, migrated and seeded SQLite file."""
    path = tmp_path_factory.mktemp("web") / "booking.db"
    database_url = f"sqlite+aiosqlite:///{path}"
    clock = Clock()
    server = _Server(database_url, clock)
    server.start()
    if not server.ready.wait(timeout=60) or server.shop is None:
        server.stop()
        raise RuntimeError(f"the test server did not start: {server.failure!r}")
    port = server.listener.getsockname()[1]
    yield Site(f"http://127.0.0.1:{port}", database_url, server.shop, clock)
    server.stop()


def csrf_of(html: str) -> str:
    """The CSRF token a page put in its forms."""
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def signed_in_client(client: httpx.AsyncClient, token: str) -> tuple[httpx.AsyncClient, str]:
    """Sign `client` in with `token` through the form; (the client, a CSRF token for posts)."""
    form = await client.get("/admin/sign-in")
    csrf = csrf_of(form.text)
    answer = await client.post("/admin/sign-in", data={"token": token, "_csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    return client, csrf


@pytest.fixture
async def web_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the app on the test database (clock at NOW), keeping cookies."""
    app = create_app(db, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as client:
        yield client


# --- the browser -------------------------------------------------------------------------


def _why_no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (pip install -e '.[dev]')"
    if CHROMIUM is None:
        return "browser tests need Chromium (apt-get install chromium); none is on PATH"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download).

    Playwright's sync API runs an event loop of its own while it is open, and async tests
    cannot run beside it: keep browser tests in modules of their own (`test_*_browser.py`),
    which is why this lives for one module."""
    why = _why_no_browser()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (its own cookies) at a laptop's size; set_viewport_size for a phone."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, site: Site, token: str | None = None) -> None:
    """Sign in through the form with the owner token (or `token`), landing on /admin."""
    page.goto(site.url + "/admin/sign-in")
    page.get_by_label("Admin token").fill(token or site.token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page as .artifacts/screenshots/<name>.png (a test artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
