"""Two processes running the calendar sync on one database (a SQLite file, then PostgreSQL):
each calendar is fetched by one of them per interval, counted at the feeds' own servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path

import pytest

from booking.db import Database
from tests.calendars.feeds import GOOGLE_FEED, connect
from tests.calendars.ics_server import IcsServer
from tests.factories import Shop
from tests.reliability.processes import ROOT, Worker

INTERVAL = 2.0
RUN_SECONDS = 7.0
FEEDS = 4


@pytest.mark.processes
async def test_each_calendar_is_fetched_once_per_interval_by_two_processes(
    db: Database, shop: Shop, tmp_path: Path
) -> None:
    """Over seven seconds with a two-second interval, each of four feeds is fetched three or
    four times in all, never twice within one interval, whichever process fetched it."""
    with contextlib.ExitStack() as stack:
        feeds = [stack.enter_context(IcsServer.start()) for _ in range(FEEDS)]
        for n, feed in enumerate(feeds):
            feed.body = GOOGLE_FEED
            staff = shop.sam if n % 2 else shop.alex
            await connect(db, shop.business_id, staff, kind="ics", url=feed.url)
        config = {"url": db.engine.url.render_as_string(hide_password=False),
                  "interval_seconds": INTERVAL}  # fmt: skip
        started: list[Worker] = []
        try:
            for n in range(2):
                started.append(await start_worker_module(config, tmp_path / f"sync{n}.log"))
            for worker in started:
                assert await worker.line() == "ready"
            await asyncio.sleep(RUN_SECONDS)
        finally:
            for worker in started:
                await worker.kill()

    for feed in feeds:
        assert 3 <= feed.requests <= RUN_SECONDS // INTERVAL + 1, feed.received_at
        gaps = [b - a for a, b in zip(feed.received_at, feed.received_at[1:], strict=False)]
        assert min(gaps) >= INTERVAL - 0.05, gaps


async def start_worker_module(config: dict[str, object], log: Path) -> Worker:
    """`tests.calendars.sync_worker` as a child process, read as the reliability workers are."""
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.calendars.sync_worker", json.dumps(config),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=errors,
        )  # fmt: skip
    return Worker(process, log)
