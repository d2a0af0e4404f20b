"""Starting `tests.reliability.worker` processes and reading what they print."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import NOW
from tests.factories import Shop

ROOT = Path(__file__).resolve().parents[2]


def staff_config(shop: Shop) -> list[dict[str, Any]]:
    """Who works which weekdays, and windows (whole hours) inside their hours: a morning, then an
    afternoon. Sam works Mon-Fri 9-12 and 13-17, Alex Tue-Sat 10-13 and 13:30-18 (factories)."""
    return [
        {"id": shop.sam, "windows": [(9, 12), (13, 17)], "weekdays": [0, 1, 2, 3, 4]},
        {"id": shop.alex, "windows": [(10, 13), (14, 18)], "weekdays": [1, 2, 3, 4, 5]},
    ]


def stream_config(shop: Shop, url: str, seed: str) -> dict[str, Any]:
    """A worker that books through the HTTP API with four clients (an Idempotency-Key on each)
    and prints every acknowledged booking, until it is killed."""
    return {
        "mode": "stream",
        "url": url,
        "token": shop.token,
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff": staff_config(shop),
        "first_day": "2026-12-01",
        "days": 40,
        "now": NOW.isoformat(),
        "tasks": 4,
        "seed": seed,
    }


@dataclass
class Worker:
    """A running worker; its stderr goes to a file (a pipe nobody reads could fill and block)."""

    process: asyncio.subprocess.Process
    log: Path

    async def line(self, within: float = 30) -> Any:
        """The next line the worker printed, parsed; its stderr in the error if it died."""
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), within)
        if not line.endswith(b"\n"):  # end of output, or a line cut short by a kill
            raise WorkerEnded(self.log.read_text()[-3000:])
        return json.loads(line)

    async def kill(self) -> None:
        """SIGKILL, unless it has already ended; either way, wait for it."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()


class WorkerEnded(Exception):
    """The worker's output ended; the message is the end of its stderr."""


@contextlib.asynccontextmanager
async def workers(configs: list[dict[str, Any]], logs: Path) -> AsyncIterator[list[Worker]]:
    """Start one worker per config; none outlives the block, even when a test fails early."""
    started: list[Worker] = []
    try:
        for n, config in enumerate(configs):
            started.append(await start_worker(config, logs / f"worker{n}.log"))
        yield started
    finally:
        for worker in started:
            await worker.kill()


async def start_worker(config: dict[str, Any], log: Path) -> Worker:
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.reliability.worker",
            json.dumps(config),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            limit=2**24,
        )
    return Worker(process, log)
