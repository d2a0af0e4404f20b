"""SIGTERM during a call: /health says draining, the call finishes, the process exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from booking.models import Call
from tests.agent.test_agent_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_for_line(process: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline() if process.stdout else ""
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} not printed; got: {''.join(seen)[-2000:]}")


def sigterm_during_call(database_url: str, business_id: int) -> tuple[set[str], int, str]:
    """Start the server with a call in progress, SIGTERM it, and watch /health until it exits."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BUSINESS_ID": str(business_id)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.agent.fake_call_server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_line(process, "CALL STARTED", 60)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        statuses = set()
        for _ in range(20):
            try:
                statuses.add(httpx.get(f"http://127.0.0.1:{port}/health").json()["status"])
            except httpx.HTTPError:
                break
            time.sleep(0.1)
        rest = wait_for_line(process, "EXITED CLEANLY", 60)
        return statuses, process.wait(30), "".join(rest)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sigterm_drains_the_call_then_exits_zero(database_url, db, shop):
    """SIGTERM while a call is in progress: /health reports draining, the call ends normally
    and is logged, then the process exits with status 0."""
    statuses, code, output = await asyncio.to_thread(
        sigterm_during_call, database_url, shop.business_id
    )
    assert code == 0, output
    assert "draining" in statuses
    async with db.read() as session:
        [call] = list(await session.scalars(select(Call)))
    assert call.ended_at is not None
