"""`booking serve`: uvicorn (and, when configured, the LiveKit agent) in one asyncio loop.

We install our own SIGINT/SIGTERM handlers: on a signal `/health` says "draining", calls in
progress finish (bounded by DRAIN_TIMEOUT_SECONDS), then HTTP stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

import uvicorn

from booking.api.app import Lifecycle, create_app
from booking.config import Settings
from booking.db import Database
from booking.logging import get_logger
from booking.migrate import schema_state
from booking.services import calls
from booking.services.webhook_sender import Outbox, SendLimits

if TYPE_CHECKING:
    import httpx

log = get_logger(__name__)


class SchemaNotCurrent(Exception):
    """The database is behind (or ahead of) this code's migrations."""


class _QuietSignalsServer(uvicorn.Server):
    """uvicorn would capture SIGINT/SIGTERM and re-raise them; the product handles them.
    `listening` is set once it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29 name
        return None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


async def ensure_schema_current(db: Database) -> None:
    state = await schema_state(db.engine)
    if state == "behind":
        raise SchemaNotCurrent(
            "the database schema is behind this version; run `booking migrate` (or `make migrate`)"
        )
    if state == "ahead":
        raise SchemaNotCurrent("the database was migrated by a newer version of booking")


async def _purge_transcripts_daily(db: Database, retention_days: int) -> None:
    """Transcripts older than the retention are blanked at start-up and once a day."""
    while True:
        try:
            purged = await calls.purge_transcripts(db, retention_days)
            if purged:
                log.info("purged old transcripts", calls=purged)
        except Exception:
            log.warning("transcript purge failed; will retry")
        await asyncio.sleep(24 * 3600)


def _webhook_client(limits: SendLimits) -> httpx.AsyncClient:
    import httpx  # here, not at import: HTTP answers sooner at start-up

    # As many connections as sends may run at once: none waits for the pool.
    pool = httpx.Limits(max_connections=limits.total, max_keepalive_connections=limits.total)
    return httpx.AsyncClient(follow_redirects=False, limits=pool)


async def _deliver_webhooks_forever(db: Database, interval: float = 1.0) -> None:
    """Start due webhook deliveries every `interval` without waiting for slow receivers; a
    receiver that is down is retried later."""
    limits = SendLimits()
    # Importing httpx and loading the CA certificates take ~0.07 s: not on the event loop.
    client = await asyncio.to_thread(_webhook_client, limits)
    async with client:
        outbox = Outbox(db, client, limits=limits)
        try:
            while True:
                try:
                    await outbox.start_due()
                except Exception:
                    log.warning("webhook delivery round failed; will retry")
                await asyncio.sleep(interval)
        finally:
            await outbox.aclose()


async def _housekeeping(db: Database, settings: Settings, http_listening: asyncio.Event) -> None:
    """The transcript purge and the webhook outbox, from when HTTP listens: their first rounds
    (the first use of their SQL, an HTTP client) would otherwise come before it."""
    await http_listening.wait()
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(
            _purge_transcripts_daily(db, settings.transcript_retention_days), name="purge"
        )
        tasks.create_task(_deliver_webhooks_forever(db), name="webhooks")


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    agent_runner: Callable[[Database, Lifecycle, asyncio.Event], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set), then drain and shut down cleanly."""
    db = Database.from_url(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    try:
        await ensure_schema_current(db)
        lifecycle = Lifecycle(agent="starting" if agent_runner else "disabled")
        app = create_app(db, max_body_bytes=settings.max_request_body_bytes, lifecycle=lifecycle)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            log_config=None,  # no handlers of its own: its lines go through ours
            lifespan="on",
            # Forwarded headers only from TRUSTED_PROXIES (an empty list trusts none); left
            # unset, uvicorn would believe any client connecting from loopback.
            proxy_headers=True,
            forwarded_allow_ips=list(settings.trusted_proxies),
        )
        http = _QuietSignalsServer(config)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        http_task = asyncio.create_task(http.serve(), name="http")
        agent_task: asyncio.Future[None] | None = (
            asyncio.ensure_future(agent_runner(db, lifecycle, stop)) if agent_runner else None
        )
        housekeeping_task = asyncio.create_task(
            _housekeeping(db, settings, http.listening), name="housekeeping"
        )
        log.info("serving", url=f"http://{host}:{port}", agent=lifecycle.agent)
        stop_task = asyncio.create_task(stop.wait())
        await asyncio.wait({http_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        housekeeping_task.cancel()
        lifecycle.status = "draining"
        log.info("stopping", phase="draining calls")
        if agent_task is not None:
            await agent_task
        http.should_exit = True
        await http_task
        stop_task.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        log.info("stopped")
    finally:
        await db.dispose()
