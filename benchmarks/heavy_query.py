"""Case 8: the heaviest availability query the API allows, beside 50 calls' tool calls.

GET /api/availability for 40 staff who work 00:00-23:59 every day, on a 5-minute step with
5-minute slots, over 10 days: 400 staff-days, the cap (`MAX_STAFF_DAYS`), about 115,000 free
starts, of which the answer carries the first page (500). The query runs back to back through
the real Litestar app, in this process on the app loop (httpx's ASGI transport), as `booking
serve` runs HTTP beside the calls' tools. The 50 calls are case 2's: each a thread with its
own event loop, making lookups, check_availability and book_appointment at random moments,
their service calls hopping onto the app loop through the bridge. Measured three ways in one
run: the calls alone (the baseline), the query alone, both at once. Target: tool p99 under
50 ms while the query runs.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock_time
from typing import Any

import httpx

from benchmarks import tool_load
from benchmarks.common import (
    BenchShop,
    LoopLag,
    freeze_like_serve,
    make_bench_shop,
    new_sqlite_url,
    print_table,
    summary_ms,
    today_local,
    verdict,
    working_days,
)
from booking.api.app import create_app
from booking.api.availability import DEFAULT_LIMIT, MAX_LIMIT
from booking.db import Database
from booking.services import availability, businesses, staff

STAFF = 40
DAYS = availability.MAX_STAFF_DAYS // STAFF  # 10: the range reaches the cap exactly
STEP_MINUTES = 5
DURATION_MINUTES = 5
ALL_DAY = (clock_time(0), clock_time(23, 59))
RATE = 25.0  # tool calls/s from the 50 calls: about three times what case 5's conversations make
TARGET_P99_MS = 50.0
PATH = "/api/availability"


@dataclass
class Phase:
    """What one phase measured: the calls' tool calls, the app loop, the heavy query."""

    name: str
    step: tool_load.Step | None = None
    lags: list[float] = field(default_factory=list)
    heavy: list[float] = field(default_factory=list)
    gc_pauses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def tool_times(self) -> list[float]:
        return [t for v in self.step.latencies.values() for t in v] if self.step else []


async def heavy_shop(db: Database) -> BenchShop:
    """Case 2's salon grown to 40 staff who work round the clock, on a 5-minute step."""
    shop = await make_bench_shop(db, staff_count=STAFF, customer_count=200)
    await businesses.update_business(db, shop.business_id, slot_step_minutes=STEP_MINUTES)
    every_day = {weekday: [ALL_DAY] for weekday in range(7)}
    for staff_id in shop.staff_ids:
        await staff.set_weekly_hours(db, shop.business_id, staff_id, every_day)
    return shop


def heavy_params(first: date, **extra: Any) -> dict[str, Any]:
    last = first + timedelta(days=DAYS - 1)
    return {
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "duration_minutes": DURATION_MINUTES,
        **extra,
    }


async def ask(client: httpx.AsyncClient, params: dict[str, Any]) -> httpx.Response:
    """One heavy query; anything but 200 ends the case (the figures would mean nothing)."""
    response = await client.get(PATH, params=params)
    if response.status_code != 200:
        raise RuntimeError(f"GET {PATH} answered {response.status_code}: {response.text[:300]}")
    return response


async def query_until(
    client: httpx.AsyncClient, params: dict[str, Any], stop: asyncio.Event, times: list[float]
) -> None:
    """The heavy query back to back (one at a time, as one admin screen would) until `stop`."""
    while not stop.is_set():
        started = time.perf_counter()
        await ask(client, params)
        times.append(time.perf_counter() - started)


async def run_phase(
    name: str,
    client: httpx.AsyncClient,
    params: dict[str, Any],
    calls: Callable[[], Awaitable[tool_load.Step]] | None,
    heavy: bool,
    seconds: float,
) -> Phase:
    phase = Phase(name)
    stop = asyncio.Event()
    lag = LoopLag()
    lag.start()
    began = time.perf_counter()
    with GcClock() as collected:
        queries = (
            asyncio.create_task(query_until(client, params, stop, phase.heavy)) if heavy else None
        )
        if calls is not None:
            phase.step = await calls()
        else:
            await asyncio.sleep(seconds)
        stop.set()
        if queries is not None:
            await queries
    phase.seconds = time.perf_counter() - began
    await lag.stop()
    phase.lags, phase.gc_pauses = lag.lags, collected.pauses
    return phase


@dataclass
class Cost:
    """One piece measured alone: its time, the longest stretch it held the loop, GC time."""

    ms: float
    hold_ms: float
    gc_ms: float


class GcClock:
    """Garbage collection pauses while it is entered (gc.callbacks)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0

    @property
    def seconds(self) -> float:
        return sum(self.pauses)

    def _callback(self, phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._began)

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)


async def cost(work: Callable[[], Awaitable[Any]], repeats: int) -> Cost:
    """`work` alone, one at a time, best of `repeats` (other work on the machine only adds);
    a task that only yields (a 0 s sleep) sees every stretch the loop spends on it in one go."""
    times, holds, gcs = [], [], []
    for _ in range(repeats):
        lag = LoopLag(0.0)
        lag.start()
        await asyncio.sleep(0)
        with GcClock() as collected:
            started = time.perf_counter()
            await work()
            times.append(time.perf_counter() - started)
        await asyncio.sleep(0)  # the sampler's wake-up after the last stretch
        await lag.stop()
        holds.append(max(lag.lags, default=0.0))
        gcs.append(collected.seconds)
    return Cost(*(min(v) * 1000 for v in (times, holds, gcs)))


async def breakdown(
    db: Database, client: httpx.AsyncClient, shop: BenchShop, first: date, repeats: int
) -> list[tuple[str, float, float | None, float | None]]:
    """Where one heavy query's time goes, each piece alone: (piece, ms, longest hold, GC ms)."""
    params = heavy_params(first)
    last = first + timedelta(days=DAYS - 1)

    def search(end: date = last, **extra: Any) -> Callable[[], Awaitable[list[availability.Slot]]]:
        return lambda: availability.find_slots(
            db,
            shop.business_id,
            start_date=first,
            end_date=end,
            duration_minutes=DURATION_MINUTES,
            **extra,
        )

    total = len(await search()())
    after = (await ask(client, params)).json()["next_after"]
    request = await cost(lambda: ask(client, params), repeats)
    # as the handler asks: one more than the page, to know whether another follows
    found = await cost(search(limit=DEFAULT_LIMIT + 1), repeats)
    piece = await cost(search(first, staff_id=shop.staff_ids[0]), repeats)
    return [
        (f"the request (first page of {DEFAULT_LIMIT})", *_fields(request)),
        (
            f"  find_slots: {STAFF * DAYS} pieces ({total:,} free starts), the page taken",
            *_fields(found),
        ),
        ("    one piece (one staff member's day: find_slots for it)", *_fields(piece)),
        (
            f"  the rest: the page of {DEFAULT_LIMIT}, its models and JSON",
            request.ms - found.ms,
            None,
            request.gc_ms - found.gc_ms,
        ),
        (
            "the next page (`after`)",
            *_fields(await cost(lambda: ask(client, {**params, "after": after}), repeats)),
        ),
        (
            f"the first page at limit={MAX_LIMIT}",
            *_fields(await cost(lambda: ask(client, {**params, "limit": MAX_LIMIT}), repeats)),
        ),
    ]


def _fields(measured: Cost) -> tuple[float, float, float]:
    return measured.ms, measured.hold_ms, measured.gc_ms


async def measure(quick: bool = False) -> dict[str, Any]:
    url = await new_sqlite_url("heavy")
    db = Database.from_url(url)  # the product's default pool, as `booking serve` builds it
    seconds = 8.0 if quick else 20.0
    try:
        shop = await heavy_shop(db)
        app_loop = asyncio.get_running_loop()
        first = today_local() + timedelta(days=1)
        days = working_days(first, 40)[:30]
        params = heavy_params(first)
        app: Any = create_app(db)  # an ASGI app; Litestar's own types are narrower than httpx's
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://127.0.0.1",
            headers={"Authorization": f"Bearer {shop.token}"},
        ) as client:

            def make_client() -> tool_load.BridgeClient:
                return tool_load.BridgeClient(db, shop, app_loop)

            def calls(name: str) -> Callable[[], Awaitable[tool_load.Step]]:
                return lambda: tool_load.run_step(name, make_client, shop, days, RATE, seconds)

            await tool_load.warm_up(make_client, shop, days)
            for _ in range(2):
                await ask(client, params)
            freeze_like_serve()
            phases = [
                await run_phase(
                    "calls alone (baseline)", client, params, calls("base"), False, seconds
                ),
                await run_phase("heavy query alone", client, params, None, True, seconds / 2),
                await run_phase(
                    "calls + heavy query", client, params, calls("heavy"), True, seconds
                ),
            ]
            for phase in phases:
                print(f"  {phase.name}: {_progress(phase)}", flush=True)
            repeats = 3 if quick else 5
            pieces = await breakdown(db, client, shop, first, repeats)
    finally:
        await db.dispose()
    return {"phases": phases, "pieces": pieces, "repeats": repeats}


def _progress(phase: Phase) -> str:
    parts = [f"app lag p99 {summary_ms(phase.lags)[1]:.1f} ms"]
    if phase.step:
        parts.append(f"tool p99 {summary_ms(phase.tool_times())[1]:.1f} ms")
    if phase.heavy:
        parts.append(f"{len(phase.heavy)} heavy queries, p50 {summary_ms(phase.heavy)[0]:.0f} ms")
    return ", ".join(parts)


def report(results: dict[str, Any]) -> bool:
    phases: list[Phase] = results["phases"]
    rows = []
    for phase in phases:
        tools = phase.tool_times()
        rows.append(
            (
                phase.name,
                len(tools) if phase.step else None,
                *(summary_ms(tools) if phase.step else (None, None, None)),
                *summary_ms(phase.lags),
                len(phase.heavy) if phase.heavy else None,
                *(summary_ms(phase.heavy) if phase.heavy else (None, None, None)),
                f"{100 * sum(phase.gc_pauses) / phase.seconds:.1f}%",
                max(phase.gc_pauses, default=0.0) * 1000,
            )
        )
    print_table(
        f"Case 8a: the heaviest availability query ({STAFF} staff x {DAYS} days, "
        f"{STEP_MINUTES}-minute step) beside {tool_load.CALLS} calls at {RATE:g} tool calls/s",
        [
            "phase",
            "tool calls",
            "tool p50 ms",
            "tool p99 ms",
            "tool max ms",
            "app lag p50 ms",
            "app lag p99 ms",
            "app lag max ms",
            "heavy queries",
            "heavy p50 ms",
            "heavy p99 ms",
            "heavy max ms",
            "GC share",
            "GC max pause ms",
        ],
        rows,
        f"GET {PATH}?start_date..end_date ({DAYS} days)&duration_minutes={DURATION_MINUTES}, the "
        f"first page ({DEFAULT_LIMIT} slots), back to back through the app in this process "
        "(httpx ASGI transport on the app loop). Tool latency: from the tool starting its "
        "service call to the answer, on the call's own loop (case 2's tools). App lag: how late "
        "a 10 ms sleep wakes on the app loop. GC: this process's garbage collection over the "
        "phase, and its longest single pause (the loop waits it out).",
    )
    by_tool = []
    for phase in phases:
        if phase.step is None:
            continue
        for tool in tool_load.TOOLS:
            by_tool.append(
                (
                    phase.name,
                    tool,
                    len(phase.step.latencies[tool]),
                    *summary_ms(phase.step.latencies[tool]),
                )
            )
    print_table(
        "Case 8b: per tool",
        ["phase", "tool", "n", "p50 ms", "p99 ms", "max ms"],
        by_tool,
    )
    print_table(
        "Case 8c: where one heavy query's time goes "
        f"(each piece alone, best of {results['repeats']})",
        ["piece", "ms", "longest loop hold ms", "GC ms"],
        results["pieces"],
        "Each piece alone, nothing else running. Longest loop hold: the longest stretch a task "
        "that only yields waited (what a tool's next step would wait behind). find_slots gives "
        "the loop back after each piece (a staff member's day) and takes the page lazily from "
        "the merged pieces. GC: time in garbage collection during the piece.",
    )
    loaded = phases[-1]
    p99 = summary_ms(loaded.tool_times())[1]
    base = summary_ms(phases[0].tool_times())[1]
    ok = p99 < TARGET_P99_MS
    print_table(
        "Case 8: target",
        ["target", "measured", "verdict"],
        [
            (
                f"tool p99 < {TARGET_P99_MS:g} ms while the heavy query runs",
                f"{p99:.1f} ms (calls alone: {base:.1f} ms)",
                verdict(ok),
            )
        ],
    )
    return ok


def main(quick: bool = False) -> bool:
    return report(asyncio.run(measure(quick)))


if __name__ == "__main__":
    main()
