"""What `booking serve` writes to stderr obeys LOG_LEVEL and LOG_FORMAT, every line of it, the
libraries' included, and carries no URL query string or full phone number."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from aiohttp import web
from sqlalchemy import select

from booking.db import Database
from booking.models import DeliveryStatus, WebhookDelivery
from booking.services import calls, webhooks
from tests.factories import make_shop

PHONE = "+12125550147"
API_KEY = "sk_live_4f9a1c2e7b"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hooked(NamedTuple):
    url: str
    received: asyncio.Event


@pytest.fixture
async def receiver() -> AsyncIterator[Hooked]:
    """A webhook receiver on loopback that answers 204."""
    received = asyncio.Event()

    async def hook(_request: web.Request) -> web.Response:
        received.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield Hooked(f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received)
    await runner.cleanup()


async def delivered(db: Database) -> bool:
    async with db.read() as session:
        status = await session.scalar(select(WebhookDelivery.status))
    return status == DeliveryStatus.DELIVERED


async def send_garbage(port: int) -> None:
    """A request uvicorn cannot parse: it logs a warning of its own about it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"NOT HTTP /?to={PHONE}\r\n\r\n".encode())
    await writer.drain()
    await reader.read()
    writer.close()


async def serve_until_delivered(
    url: str, cwd: Path, received: asyncio.Event
) -> tuple[int | None, str]:
    """Run `booking serve` at warning/json until the webhook is delivered, make a few requests
    (found, refused, not found, unparsable), stop it with SIGTERM; its exit code and stderr."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "warning",
        "LOG_FORMAT": "json",
        "OUTBOUND_ALLOW_PRIVATE": "true",  # the receiver listens on loopback
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "booking", "serve", "--port", str(port)),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(8):
            await received.wait()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await client.get("/health")
            await client.get(f"/api/customers?phone={PHONE}")
            await client.get(f"/nowhere?to={PHONE}")
        await send_garbage(port)
        await asyncio.sleep(0.2)  # the sender records the delivery meanwhile
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(8):
            _, stderr = await process.communicate()
    return process.returncode, stderr.decode()


async def test_serve_at_warning_in_json_writes_only_masked_json_lines(
    sqlite_template: Path, tmp_path: Path, receiver: Hooked
) -> None:
    """With LOG_LEVEL=warning and LOG_FORMAT=json, while `booking serve` delivers a webhook
    whose URL carries a phone number and an API key and answers a few requests, every line on
    stderr is JSON (uvicorn's warning about a request it cannot parse included), none is below
    warning, and none carries the query string or the number."""
    path = tmp_path / "booking.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    db = Database.from_url(url)
    try:
        shop = await make_shop(db)
        hook = f"{receiver.url}?to={PHONE}&api_key={API_KEY}"
        await webhooks.create_subscription(
            db, shop.business_id, hook, ["message.taken"], allow_private=True
        )
        await calls.take_message(
            db, shop.business_id, body="Call me", caller_name="Ada", now=datetime.now(UTC)
        )
        code, stderr = await serve_until_delivered(url, tmp_path, receiver.received)
        assert await delivered(db)
    finally:
        await db.dispose()
    assert code == 0, stderr
    loggers = []
    for line in stderr.splitlines():
        entry = json.loads(line)  # raises on a line that is not JSON
        loggers.append(entry.get("logger"))
        assert entry["level"] not in ("debug", "info"), line
        assert "?to=" not in line and API_KEY not in line, line
        assert PHONE[2:] not in line.replace("-", "").replace(" ", ""), line
    assert "uvicorn.error" in loggers  # the library's warning came through, as JSON
