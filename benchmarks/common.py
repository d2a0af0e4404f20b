"""Shared pieces of the benchmarks: the machine, tables, percentiles, scratch databases, a shop.

Every case is a script that prints Markdown tables (readable in a terminal, pasted as-is into
docs/performance.md). Nothing here is a test: the figures are for a person to read and compare.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from booking import migrate
from booking.db import Database, make_engine
from booking.services import businesses, customers, staff, tokens

T = TypeVar("T")

POSTGRES_ENV = "BOOKING_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
ZONE = "America/New_York"
SHOP_NUMBER = "+12125550100"
WORK_DAYS = range(6)  # Monday to Saturday
OPENS, CLOSES = clock_time(9), clock_time(17)


# -- output ---------------------------------------------------------------------------------


def print_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], note: str = ""
) -> None:
    """A Markdown table under a heading; numbers right-aligned, text left-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(_is_number(row[i]) for row in cells[1:]) and len(cells) > 1 for i in range(len(headers))
    ]

    def line(row: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(row, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + (":" if right else "-")
            for w, right in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    print(f"\n### {title}\n")
    print(line(cells[0]))
    print(rule)
    for row in cells[1:]:
        print(line(row))
    if note:
        print(f"\n{note}")
    print(flush=True)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN: nothing measured
            return "-"
        if 0 < abs(value) < 0.01:
            return f"{value:.4f}"
        return (
            f"{value:.3f}"
            if abs(value) < 1
            else f"{value:.1f}"
            if abs(value) < 100
            else (f"{value:,.0f}")
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(text_value: str) -> bool:
    stripped = text_value.replace(",", "").replace("x", "").replace("%", "")
    try:
        float(stripped)
    except ValueError:
        return text_value == "-"
    return True


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# -- numbers --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> tuple[float, float, float]:
    """(p50, p99, max) in milliseconds."""
    values = [s * 1000 for s in seconds]
    return percentile(values, 50), percentile(values, 99), max(values, default=float("nan"))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- the machine ----------------------------------------------------------------------------


def cpu_model() -> str:
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name") or platform.processor() or platform.machine()
    details = [
        f"family {fields['cpu family']} model {fields['model']}" if "cpu family" in fields else "",
        f"{float(fields['cpu MHz']):.0f} MHz" if "cpu MHz" in fields else "",
        "virtual machine" if "hypervisor" in fields.get("flags", "").split() else "",
    ]
    return ", ".join([name, *[d for d in details if d]])


def python_speed() -> str:
    """One pure-Python reference loop, to scale every figure by this CPU's single-core speed."""
    best = min(_time_loop() for _ in range(3))
    return f"sum(range(10**7)) in {best:.2f} s (best of 3; lower is faster)"


def _time_loop() -> float:
    began = time.perf_counter()
    sum(range(10**7))
    return time.perf_counter() - began


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def postgres_server_url() -> str:
    return os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES


async def postgres_version() -> str | None:
    """The server's version, or None when no PostgreSQL answers at the configured URL."""
    url = make_url(postgres_server_url())
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((url.host or "127.0.0.1", url.port or 5432)) != 0:
            return None
    engine = create_async_engine(url)
    try:
        async with asyncio.timeout(5), engine.connect() as connection:
            return str(await connection.scalar(text("SHOW server_version")))
    except Exception:
        return None
    finally:
        await engine.dispose()


def load_average() -> str:
    """Other work on the machine skews every figure: printed beside them."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def print_machine() -> None:
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    pg = asyncio.run(postgres_version())
    rows = [
        ("CPU", cpu_model()),
        ("Python speed", python_speed()),
        ("Cores", str(os.cpu_count())),
        ("Memory", memory or "unknown"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Load average at start (1, 5, 15 min)", load_average()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", pg or "not reachable: PostgreSQL rows are skipped"),
        (
            "Libraries",
            ", ".join(
                f"{name} {_version(name)}"
                for name in (
                    "sqlalchemy",
                    "aiosqlite",
                    "asyncpg",
                    "litestar",
                    "uvicorn",
                    "httpx",
                    "livekit-agents",
                )
            ),
        ),
    ]
    print_table("Machine", ["", ""], rows)


# -- scratch databases ----------------------------------------------------------------------

_template_lock = threading.Lock()
_template: Path | None = None
_scratch_root: Path | None = None


def scratch_dir() -> Path:
    """One temporary folder for the run, removed at exit."""
    global _scratch_root
    if _scratch_root is None:
        _scratch_root = Path(tempfile.mkdtemp(prefix="booking-bench-"))
        import atexit

        atexit.register(shutil.rmtree, _scratch_root, True)
    return _scratch_root


async def _migrated_template() -> Path:
    global _template
    with _template_lock:
        if _template is not None:
            return _template
    path = scratch_dir() / "template.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    with _template_lock:
        _template = path
    return path


async def new_sqlite_url(name: str = "") -> str:
    """A fresh migrated SQLite file (a copy of one migrated template)."""
    template = await _migrated_template()
    path = scratch_dir() / f"{name or 'bench'}-{uuid.uuid4().hex[:8]}.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


def sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


async def _admin(statement: str) -> None:
    engine = create_async_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """A new migrated PostgreSQL database on the configured server, dropped afterwards."""
    name = f"booking_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- a shop to book in ----------------------------------------------------------------------


@dataclass(frozen=True)
class BenchShop:
    business_id: int
    staff_ids: list[int]
    service_id: int
    customer_ids: list[int]
    phones: list[str]
    token: str


def phone_of(index: int) -> str:
    return f"+1212555{index:04d}"


async def make_bench_shop(
    db: Database,
    *,
    staff_count: int = 10,
    customer_count: int = 100,
    horizon_days: int = 90,
    min_notice_minutes: int = 60,
) -> BenchShop:
    """A salon in New York: staff working Monday to Saturday 09:00-17:00, customers, a token."""
    business = await businesses.create_business(
        db,
        name="Bench Salon",
        timezone=ZONE,
        region="US",
        numbers=[SHOP_NUMBER],
        transfer_number="+12125550199",
        min_notice_minutes=min_notice_minutes,
        horizon_days=horizon_days,
    )
    # The benchmarks measure throughput: the public line's caps would refuse their load.
    await businesses.update_business(
        db,
        business.id,
        max_bookings_per_call=1000,
        max_future_bookings_per_customer=1000,
        max_withheld_bookings_per_day=1000,
        max_calls_per_number=1000,
    )
    haircut = await staff.create_service(db, business.id, "Haircut", 30, buffer_minutes=0)
    staff_ids = []
    for number in range(staff_count):
        member = await staff.create_staff(
            db,
            business.id,
            f"Stylist {number + 1}",
            weekly_hours={day: [(OPENS, CLOSES)] for day in WORK_DAYS},
            service_ids=[haircut],
        )
        staff_ids.append(member.id)
    customer_ids, phones = [], []
    for number in range(customer_count):
        phone = phone_of(1000 + number)
        customer = await customers.create_customer(
            db, business.id, phone=phone, name=f"Customer {number}"
        )
        customer_ids.append(customer.id)
        phones.append(phone)
    token = await tokens.create_token(db, business.id, "bench")
    return BenchShop(business.id, staff_ids, haircut, customer_ids, phones, token.secret)


def freeze_like_serve() -> None:
    """Do what `booking serve` does once it has started (booking.cli): freeze what exists, so
    no later garbage collection walks it. The in-process path is then measured as it runs."""
    gc.freeze()


def working_days(first: date, count: int) -> list[date]:
    """The next `count` days from `first` (inclusive) on which the shop opens."""
    days, day = [], first
    while len(days) < count:
        if day.weekday() in WORK_DAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def today_local() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


# -- threads with their own loops (as LiveKit THREAD jobs run) ------------------------------


def run_in_threads(count: int, body: Callable[[int], Awaitable[T]]) -> list[T]:
    """Run `body(i)` for i in range(count), each on its own thread with its own event loop,
    all at once; returns the results in order (re-raising the first failure)."""
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            results[index] = asyncio.run(body(index))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


class LoopLag:
    """Samples how late a loop wakes from short sleeps: the wait anything on it would see."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, time.perf_counter() - before - self.interval))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def quiet_logs() -> None:
    """Errors only: the benchmarks' own output is the tables, and what went wrong under load
    (lost transcript turns, refused calls) is counted in them rather than logged line by line."""
    from booking.logging import configure_logging

    configure_logging("error", "console")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- `booking serve` as a separate process ------------------------------------------------


def bench_env(**settings: str) -> dict[str, str]:
    """The environment for a child process: this one's, minus settings that would leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIVEKIT_", "GOOGLE_"))
        and k not in ("DATABASE_URL", "BUSINESS_ID", "STAFF_ID")
    }
    env.update({"LOG_LEVEL": "warning", "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"})
    env.update(settings)
    return env


def wait_for_health(port: int, process: Any, timeout: float = 60.0) -> float:
    """Poll /health every few milliseconds; seconds until it answered 200."""
    import http.client

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.005)
    raise TimeoutError(f"/health did not answer 200 within {timeout:g} s")


def spawn_booking_serve(database_url: str, port: int, output: Any, **settings: str) -> Any:
    """Start `booking serve` (HTTP, and the agent if `settings` configure it) on `port`."""
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "booking", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=bench_env(DATABASE_URL=database_url, **settings),
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def stop_process(process: Any, timeout: float) -> None:
    """SIGTERM (the product drains and stops), then SIGKILL if it has not ended in time."""
    import subprocess

    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def booking_serve(database_url: str, **settings: str) -> Iterator[tuple[int, int]]:
    """`booking serve` (HTTP only) in its own process: yields (port, process id)."""
    port = free_port()
    log = scratch_dir() / f"serve-{port}.log"
    with log.open("wb") as output:
        process = spawn_booking_serve(database_url, port, output, **settings)
    try:
        try:
            wait_for_health(port, process)
        except (RuntimeError, TimeoutError) as exc:
            process.kill()
            process.wait()
            raise RuntimeError(f"{exc}: {log.read_text(errors='replace')[-2000:]}") from None
        yield port, process.pid
    finally:
        stop_process(process, timeout=15)


# -- a big book, loaded in bulk -------------------------------------------------------------

SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # how the UTC instants are stored in SQLite


def fill_book(
    url: str,
    shop: BenchShop,
    count: int,
    *,
    years: float = 3.0,
    seed: int = 7,
    keep_free: tuple[date, date] | None = None,
) -> float:
    """Insert `count` half-hour appointments spread over `years` centred on today, straight
    through sqlite3 (executemany, one transaction); returns the seconds it took.

    Rows never overlap, so the no-overlap triggers stay on and pass. Past appointments are
    mostly completed, future ones booked. Inserting latest-first keeps each trigger's scan
    short (see docs/performance.md: the trigger scans every earlier row of the staff member).
    `keep_free` leaves those local dates (inclusive) empty, for benchmarks that book there.
    """
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE)
    rng = random.Random(seed)
    today = today_local()
    half = timedelta(days=int(365 * years / 2))
    days = [
        day
        for day in (today - half + timedelta(days=i) for i in range(2 * half.days + 1))
        if day.weekday() in WORK_DAYS and not (keep_free and keep_free[0] <= day <= keep_free[1])
    ]
    cells = (CLOSES.hour - OPENS.hour) * 2
    per_day = len(shop.staff_ids) * cells
    if count > len(days) * per_day:
        raise ValueError(f"{count} appointments do not fit in {years:g} years")
    now = datetime.now(UTC)
    stamp = now.strftime(SQLITE_INSTANT)
    rows = []
    for pick in rng.sample(range(len(days) * per_day), count):
        day_index, rest = divmod(pick, per_day)
        staff_index, cell = divmod(rest, cells)
        local = datetime.combine(days[day_index], OPENS, tzinfo=zone) + timedelta(minutes=30 * cell)
        starts = local.astimezone(UTC)
        ends = starts + timedelta(minutes=30)
        if starts > now:
            status = "cancelled" if rng.random() < 0.05 else "booked"
        else:
            status = rng.choices(["completed", "no_show", "cancelled"], [90, 3, 7])[0]
        rows.append(
            (
                shop.business_id,
                shop.staff_ids[staff_index],
                rng.choice(shop.customer_ids),
                shop.service_id,
                starts.strftime(SQLITE_INSTANT),
                ends.strftime(SQLITE_INSTANT),
                ends.strftime(SQLITE_INSTANT),
                status,
                "api",
                "",
                stamp,
                stamp,
            )
        )
    rows.sort(key=lambda row: row[4], reverse=True)
    started = time.perf_counter()
    connection = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO appointments (business_id, staff_id, customer_id, service_id, "
            "starts_at, ends_at, blocked_until, status, source, notes, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return time.perf_counter() - started
