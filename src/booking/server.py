"""`booking serve`: uvicorn (and, when configured, the LiveKit agent) in one asyncio loop.

We install our own SIGINT/SIGTERM handlers: on a signal `/health` says "draining", calls in
progress finish (bounded by DRAIN_TIMEOUT_SECONDS), then HTTP stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from sqlalchemy import select

from booking.api.app import create_app
from booking.api.sms import sms_keys
from booking.config import Settings
from booking.db import Database
from booking.lifecycle import Lifecycle
from booking.logging import get_logger
from booking.migrate import schema_state
from booking.models import Business
from booking.services import calls
from booking.services.calendar_sync import SyncSettings, sync_forever
from booking.services.email_channel import EmailChannel, email_channel
from booking.services.sms_channel import SmsChannel, sms_provider
from booking.services.webhook_sender import Outbox, SendLimits

if TYPE_CHECKING:
    import httpx

log = get_logger(__name__)


class SchemaNotCurrent(Exception):
    """The database is behind (or ahead of) this code's migrations."""


class DatabaseMissing(SchemaNotCurrent):
    """The SQLite file does not exist: connecting would create an empty one, which then reads as
    "behind"; the user needs to hear that there is no database at all."""


class CannotListen(Exception):
    """The HTTP address cannot be bound (a port in use, a privileged port, an unknown host)."""


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


def require_database_file(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist, before anything creates it or its folder;
    only `booking migrate` creates a database."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise DatabaseMissing(f"no database at {path}; run `booking migrate` to create it")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    raw = url.split(":///", 1)[1].split("?", 1)[0]
    return None if raw in ("", ":memory:") else Path(raw).absolute()


async def ensure_schema_current(db: Database) -> None:
    state = await schema_state(db.engine)
    if state == "behind":
        raise SchemaNotCurrent(
            "the database schema is behind this version; run `booking migrate` (or `make migrate`)"
        )
    if state == "ahead":
        raise SchemaNotCurrent("the database was migrated by a newer version of booking")


async def warn_if_default_business_missing(db: Database, business_id: int | None) -> None:
    """A BUSINESS_ID naming no business would leave calls to unknown numbers unanswered without a
    word; say so once at start-up (it may be created later, so this is not a refusal)."""
    if business_id is None:
        return
    async with db.read() as session:
        found = await session.scalar(select(Business.id).where(Business.id == business_id))
    if found is None:
        log.warning(
            f"BUSINESS_ID {business_id} names no business: calls to unknown numbers will not be "
            "answered; set it to an existing business's id, or unset it for the lowest id"
        )


def bind_http(host: str, port: int) -> list[socket.socket]:
    """Bind the HTTP address before anything says "serving", so a port in use is one line and
    exit 1 (uvicorn would find out after start-up, log it and exit 3). Port 0 picks a free one."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {host}: {exc.strerror}") from None
    listeners: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in addresses:
            if listeners and port == 0:  # every address on the port the first one got
                address = (address[0], listeners[0].getsockname()[1], *address[2:])
            listeners.append(_bound_socket(family, kind, proto, address, port))
    except BaseException:
        for listener in listeners:
            listener.close()
        raise
    return listeners


def _bound_socket(
    family: socket.AddressFamily,
    kind: socket.SocketKind,
    proto: int,
    address: tuple[Any, ...],
    port: int,
) -> socket.socket:
    """One listening socket, set up as asyncio's `create_server` sets its own."""
    listener = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind(address)
    except OSError as exc:
        listener.close()
        raise CannotListen(_bind_problem(exc, str(address[0]), port)) from None
    return listener


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is in use on {host}; stop what uses it, "
            "or choose another with --port or PORT"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; choose another with --port or PORT"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: not an address of this machine (--host or HOST)"
    return f"cannot listen on {host} port {port}: {exc.strerror or exc}"


def http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _log_serving_once_listening(
    http: _QuietSignalsServer, http_task: asyncio.Task[None], **fields: str
) -> None:
    """Say "serving" only once connections are taken: never for a start-up that fails."""
    listening = asyncio.create_task(http.listening.wait())
    await asyncio.wait({listening, http_task}, return_when=asyncio.FIRST_COMPLETED)
    listening.cancel()
    if not http.listening.is_set():
        return
    if fields.get("agent") == "disabled":
        log.info(
            "phone agent off: serving HTTP only; set LIVEKIT_URL, LIVEKIT_API_KEY, "
            "LIVEKIT_API_SECRET and GOOGLE_API_KEY to answer calls"
        )
    log.info(
        "serving",
        **fields,
        sign_in="open the admin address and paste an admin token, or run "
        "`booking admin-link` for a one-time sign-in link; "
        "the API takes Authorization: Bearer <admin token>; "
        "booking create-token --business-id <id> --role owner makes one",
    )


async def _sweep_admin_sessions_hourly(db: Database) -> None:
    """Expired web sessions and spent sign-in links are deleted (they are refused anyway;
    this keeps their table small)."""
    from booking.models import utcnow
    from booking.services.admin_sessions import sweep

    while True:
        try:
            await sweep(db, utcnow())
        except Exception:
            log.warning("sweeping expired web sessions failed; will retry")
        await asyncio.sleep(3600)


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


async def _deliver_forever(
    db: Database, email: EmailChannel | None, settings: Settings, interval: float = 1.0
) -> None:
    """Start due deliveries (webhooks, and email and texts when configured) every `interval`
    without waiting for slow receivers; a receiver that is down is retried later."""
    limits = SendLimits()
    # Importing httpx and loading the CA certificates take ~0.07 s: not on the event loop.
    client = await asyncio.to_thread(_webhook_client, limits)
    provider = sms_provider(settings)
    async with client:
        sms = SmsChannel(provider, client) if provider is not None else None
        outbox = Outbox(
            db,
            client,
            limits=limits,
            email=email,
            sms=sms,
            allow_private=settings.outbound_allow_private,
        )
        try:
            while True:
                try:
                    await outbox.start_due()
                except Exception:
                    log.warning("outbox round failed; will retry")
                await asyncio.sleep(interval)
        finally:
            await outbox.aclose()


async def _housekeeping(db: Database, settings: Settings, http_listening: asyncio.Event) -> None:
    """The transcript purge, the outbox and the staff calendars' sync, from when HTTP listens:
    their first rounds (the first use of their SQL, an HTTP client) would otherwise come
    before it."""
    email = email_channel(settings)  # settings are checked whole at load: this cannot fail
    await http_listening.wait()
    if email is None:
        log.info("email off: set SMTP_URL and MAIL_FROM to send confirmations and reminders")
    else:
        log.info("email on", smtp=email.target.masked(), mail_from=email.sender)
    if settings.sms_provider == "none":
        log.info("texts off: set SMS_PROVIDER and its credentials to send texts")
    else:
        log.info("texts on", provider=settings.sms_provider)
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(
            _purge_transcripts_daily(db, settings.transcript_retention_days), name="purge"
        )
        tasks.create_task(_sweep_admin_sessions_hourly(db), name="sessions")
        tasks.create_task(_deliver_forever(db, email, settings), name="outbox")
        tasks.create_task(sync_forever(db, SyncSettings.of(settings)), name="calendars")


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    agent_runner: Callable[[Database, Lifecycle, asyncio.Event], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set), then drain and shut down cleanly."""
    require_database_file(settings.database_url)
    listeners = bind_http(host, port)
    try:
        await _serve_on(settings, listeners, host, agent_runner, stop)
    finally:
        for listener in listeners:  # uvicorn closes them once it has served; this is for a
            listener.close()  # start-up that failed before


async def _serve_on(
    settings: Settings,
    listeners: list[socket.socket],
    host: str,
    agent_runner: Callable[[Database, Lifecycle, asyncio.Event], Awaitable[None]] | None,
    stop: asyncio.Event | None,
) -> None:
    """`serve` once the address is bound: the schema check, then HTTP and the agent."""
    db = Database.from_url(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    try:
        await ensure_schema_current(db)
        await warn_if_default_business_missing(db, settings.business_id)
        port = int(listeners[0].getsockname()[1])
        lifecycle = Lifecycle(agent="starting" if agent_runner else "disabled")
        app = create_app(
            db,
            max_body_bytes=settings.max_request_body_bytes,
            lifecycle=lifecycle,
            sms=sms_keys(settings),
            outbound_allow_private=settings.outbound_allow_private,
            calendar_sync=SyncSettings.of(settings),
        )
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
        http_task = asyncio.create_task(http.serve(sockets=listeners), name="http")
        agent_task: asyncio.Future[None] | None = (
            asyncio.ensure_future(agent_runner(db, lifecycle, stop)) if agent_runner else None
        )
        housekeeping_task = asyncio.create_task(
            _housekeeping(db, settings, http.listening), name="housekeeping"
        )
        url = http_url(host, port)
        await _log_serving_once_listening(
            http,
            http_task,
            url=url,
            admin=f"{url}/admin",
            docs=f"{url}/schema/swagger",
            agent=lifecycle.agent,
        )
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
