"""Case 2: tool latency under load, ours beside the seed's design, in one run at the same rates.

50 calls, each a thread with its own event loop (as LiveKit THREAD jobs run), make tool calls at
random (Poisson) moments, cycling caller lookup, check_availability (as the tool searches: the
asked day for one staff member, and the week after only if that day is full) and
book_appointment (a time the call was offered). Ours: the service function through the bridge
onto the app loop. The seed's: the same operation as an HTTP request to `booking serve` in
another process (a bearer token, keep-alive connections, one client per call). The arrival
schedule is open-loop and identical for both paths at each rate. Targets: p99 under 10 ms at 10
tool calls/s; at least 200 tool calls/s before p99 passes 50 ms; lower than the HTTP path at
every rate.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, Protocol

import httpx

from benchmarks.common import (
    BenchShop,
    LoopLag,
    booking_serve,
    freeze_like_serve,
    make_bench_shop,
    new_sqlite_url,
    percentile,
    print_table,
    run_in_threads,
    sqlite_path,
    summary_ms,
    today_local,
    verdict,
    working_days,
)
from booking import errors
from booking.agent.bridge import ServiceBridge
from booking.db import Database
from booking.models import AppointmentSource
from booking.services import appointments, availability, customers
from booking.services.localtime import parse_time

CALLS = 50
TOOLS = ("lookup", "check_availability", "book_appointment")
BASE_RATE = 10.0
RATES = (10.0, 25.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 600.0)
WEEK_AFTER = 7  # check_availability searches the asked day, and the week after only if it is full
TOOL_TIMEOUT = 8.0  # the product's default TOOL_TIMEOUT_SECONDS
TARGET_BASE_P99_MS = 10.0
TARGET_KNEE_MS = 50.0
TARGET_KNEE_RATE = 200.0
SATURATED_MS = 2000.0

Option = tuple[int, str, str]  # staff id, ISO date, HH:MM


class CallClient(Protocol):
    async def lookup(self, phone: str) -> str: ...
    async def check(self, staff_id: int, first: date) -> tuple[str, list[Option]]: ...
    async def book(self, customer_id: int, option: Option, key: str) -> str: ...
    async def close(self) -> None: ...


async def asked_day_then_week_after(
    search: Callable[[date, date], Awaitable[tuple[str, list[Option]]]], day: date
) -> tuple[str, list[Option]]:
    """What check_availability does: the day asked for, and the week after only when it has
    nothing free (two searches then, as in the tool)."""
    outcome, found = await search(day, day)
    if outcome == "ok" and not found:
        outcome, found = await search(day + timedelta(days=1), day + timedelta(days=WEEK_AFTER))
    return outcome, found


class BridgeClient:
    """What our tools do: the service function, hopped onto the app loop."""

    def __init__(self, db: Database, shop: BenchShop, app_loop: asyncio.AbstractEventLoop):
        self.db, self.shop = db, shop
        self.bridge = ServiceBridge(app_loop, TOOL_TIMEOUT)

    async def lookup(self, phone: str) -> str:
        found = await self.bridge.call(
            customers.find_by_phone(self.db, self.shop.business_id, phone)
        )
        return "ok" if found else "refused"

    async def check(self, staff_id: int, first: date) -> tuple[str, list[Option]]:
        return await asked_day_then_week_after(partial(self._search, staff_id), first)

    async def _search(self, staff_id: int, first: date, last: date) -> tuple[str, list[Option]]:
        slots = await self.bridge.call(
            availability.find_slots(
                self.db, self.shop.business_id, start_date=first, end_date=last, staff_id=staff_id
            )
        )
        return "ok", [
            (s.staff_id, s.local_date.isoformat(), s.local_time.strftime("%H:%M")) for s in slots
        ]

    async def book(self, customer_id: int, option: Option, key: str) -> str:
        staff_id, day, at = option
        try:
            await self.bridge.call(
                appointments.book(
                    self.db,
                    appointments.BookingRequest(
                        business_id=self.shop.business_id,
                        customer_id=customer_id,
                        staff_id=staff_id,
                        local_date=date.fromisoformat(day),
                        local_time=parse_time(at, "appointment_time"),
                        duration_minutes=30,
                        source=AppointmentSource.PHONE,
                    ),
                    idempotency_key=key,
                ),
                cancel_on_timeout=False,
            )
        except (errors.SlotUnavailable, errors.OutsideHours, errors.InvalidInput):
            return "refused"
        return "ok"

    async def close(self) -> None:
        return None


class HttpClient:
    """The seed's way: the same operation as a request to the API in another process."""

    def __init__(self, port: int, shop: BenchShop):
        self.shop = shop
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {shop.token}"},
            timeout=TOOL_TIMEOUT,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )

    async def lookup(self, phone: str) -> str:
        response = await self.client.post(
            "/api/customers/lookup", json={"phone": phone, "business_id": self.shop.business_id}
        )
        return _outcome(response)

    async def check(self, staff_id: int, first: date) -> tuple[str, list[Option]]:
        return await asked_day_then_week_after(partial(self._search, staff_id), first)

    async def _search(self, staff_id: int, first: date, last: date) -> tuple[str, list[Option]]:
        response = await self.client.get(
            f"/api/appointments/staff/{staff_id}/slots",
            params={"start_date": first.isoformat(), "end_date": last.isoformat()},
        )
        outcome = _outcome(response)
        if outcome != "ok":
            return outcome, []
        return outcome, [(s["staff_id"], s["date"], s["time"]) for s in response.json()["slots"]]

    async def book(self, customer_id: int, option: Option, key: str) -> str:
        staff_id, day, at = option
        response = await self.client.post(
            "/api/appointments",
            json={
                "business_id": self.shop.business_id,
                "customer_id": customer_id,
                "staff_id": staff_id,
                "appointment_date": day,
                "appointment_time": at,
                "duration_minutes": 30,
            },
            headers={"Idempotency-Key": key},
        )
        return _outcome(response)

    async def close(self) -> None:
        await self.client.aclose()


def _outcome(response: httpx.Response) -> str:
    if response.status_code < 300:
        return "ok"
    return "refused" if response.status_code in (404, 409, 422) else "error"


@dataclass
class Step:
    path: str
    rate: float
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in TOOLS})
    outcomes: Counter[str] = field(default_factory=Counter)
    app_loop_lag: list[float] = field(default_factory=list)
    elapsed: float = 0.0  # from the first arrival to the last answer

    @property
    def throughput(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def saturated(self) -> bool:
        """Answers fall well behind arrivals, or a caller would wait seconds."""
        return self.throughput < 0.8 * self.rate or self.worst_p99() > SATURATED_MS

    @property
    def completed(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def p99(self, tool: str | None = None) -> float:
        values = self.latencies[tool] if tool else [t for v in self.latencies.values() for t in v]
        return percentile([v * 1000 for v in values], 99)

    def worst_p99(self) -> float:
        return max(self.p99(t) for t in TOOLS)


async def _one_call(
    index: int,
    client: CallClient,
    shop: BenchShop,
    days: list[date],
    rate: float,
    seconds: float,
    start_at: float,
    step: Step,
    tag: str,
) -> None:
    rng = random.Random(f"{rate}-{index}")
    arrivals, moment = [], 0.0
    while True:
        moment += rng.expovariate(rate / CALLS)
        if moment >= seconds:
            break
        arrivals.append(moment)
    offered: list[Option] = []
    tasks = []

    async def tool_call(number: int) -> None:
        tool = TOOLS[number % len(TOOLS)]
        started = time.perf_counter()
        try:
            if tool == "lookup":
                outcome = await client.lookup(rng.choice(shop.phones))
            elif tool == "check_availability":
                outcome, found = await client.check(rng.choice(shop.staff_ids), rng.choice(days))
                offered[:] = found
            else:
                option = (
                    offered.pop(rng.randrange(len(offered)))
                    if offered
                    else (rng.choice(shop.staff_ids), rng.choice(days).isoformat(), "10:00")
                )
                outcome = await client.book(
                    rng.choice(shop.customer_ids), option, f"{tag}-{index}-{number}"
                )
        except Exception:
            outcome = "error"
        step.latencies[tool].append(time.perf_counter() - started)
        step.outcomes[f"{tool} {outcome}"] += 1

    loop = asyncio.get_running_loop()
    for number, moment in enumerate(arrivals):
        delay = start_at + moment - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(tool_call(number)))
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=TOOL_TIMEOUT + 2)
        for task in pending:
            task.cancel()
            step.outcomes["unfinished"] += 1
    await client.close()


async def run_step(
    path: str,
    make_client: Any,
    shop: BenchShop,
    days: list[date],
    rate: float,
    seconds: float,
) -> Step:
    step = Step(path, rate, seconds)
    lag = LoopLag()
    lag.start()
    start: list[float] = []
    # Every call has made one request (connections open, caches warm) before the clock starts.
    ready = threading.Barrier(CALLS, action=lambda: start.append(time.perf_counter() + 0.1))
    tag = f"{path}-{rate:g}-{time.monotonic_ns()}"

    async def body(index: int) -> None:
        client = make_client()
        await client.lookup(shop.phones[index % len(shop.phones)])
        await asyncio.to_thread(ready.wait, 60)
        await _one_call(index, client, shop, days, rate, seconds, start[0], step, tag)

    await asyncio.to_thread(run_in_threads, CALLS, body)
    step.elapsed = time.perf_counter() - start[0]
    await lag.stop()
    step.app_loop_lag = lag.lags
    return step


async def warm_up(make_client: Any, shop: BenchShop, days: list[date]) -> None:
    """Each tool a few times before measuring, so no step pays for first uses (statements
    compiled, pages first read). The bookings take 20 of the last day's times, few among the
    times the measured calls are offered."""

    async def body(thread: int) -> None:
        client = make_client()
        for number in range(5):
            await client.lookup(shop.phones[number])
            _, found = await client.check(shop.staff_ids[number], days[-1])
            if found:
                await client.book(
                    shop.customer_ids[number], found[thread], f"warm-{thread}-{number}"
                )
        await client.close()

    await asyncio.to_thread(run_in_threads, 4, body)


def sqlite_floor(url: str, shop: BenchShop, count: int = 2000) -> dict[str, list[float]]:
    """The lookup's SQL straight through sqlite3: the customer query alone, and both
    statements find_by_phone runs (the business's region, then the customer) in a transaction."""
    connection = sqlite3.connect(sqlite_path(url), isolation_level=None)
    customer_sql = (
        "SELECT id, business_id, phone, name, email, notes, created_at FROM customers "
        "WHERE business_id = ? AND phone = ?"
    )
    region_sql = "SELECT default_region FROM businesses WHERE id = ?"
    times: dict[str, list[float]] = {"customer query": [], "both statements": []}
    try:
        for number in range(count):
            phone = shop.phones[number % len(shop.phones)]
            started = time.perf_counter()
            connection.execute(customer_sql, (shop.business_id, phone)).fetchall()
            times["customer query"].append(time.perf_counter() - started)
            started = time.perf_counter()
            connection.execute("BEGIN")
            connection.execute(region_sql, (shop.business_id,)).fetchall()
            connection.execute(customer_sql, (shop.business_id, phone)).fetchall()
            connection.execute("ROLLBACK")
            times["both statements"].append(time.perf_counter() - started)
    finally:
        connection.close()
    return times


async def cpu_per_call(
    make_client: Any, shop: BenchShop, days: list[date], server_pid: int | None, count: int
) -> dict[str, float]:
    """Milliseconds of CPU per tool call, one call at a time from one call thread: this
    process (app loop, call thread, driver threads) plus, for HTTP, the server process. CPU
    time barely moves with other work on the machine, unlike latency."""
    import psutil

    server = psutil.Process(server_pid) if server_pid else None
    costs: dict[str, float] = {}
    for tool in TOOLS:

        async def body(_: int, tool: str = tool) -> None:
            client = make_client()
            offered: list[Option] = []
            for number in range(count + 5):
                if tool == "lookup":
                    await client.lookup(shop.phones[number % len(shop.phones)])
                elif tool == "check_availability":
                    await client.check(shop.staff_ids[number % 10], days[number % len(days)])
                else:
                    if not offered:
                        _, offered = await client.check(shop.staff_ids[number % 10], days[-1])
                    await client.book(shop.customer_ids[0], offered.pop(), f"cpu-{number}")
            await client.close()

        own, other = time.process_time(), _cpu(server)
        await asyncio.to_thread(run_in_threads, 1, body)
        costs[tool] = ((time.process_time() - own) + (_cpu(server) - other)) / (count + 5) * 1000
    return costs


def _cpu(process: Any) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(quick: bool = False) -> dict[str, Any]:
    template_url = await new_sqlite_url("tools")
    template_db = Database.from_url(template_url)
    shop = await make_bench_shop(template_db, staff_count=10, customer_count=200)
    await template_db.dispose()
    ours_url = await new_sqlite_url("tools-ours")
    seed_url = await new_sqlite_url("tools-seed")
    shutil.copy(sqlite_path(template_url), sqlite_path(ours_url))
    shutil.copy(sqlite_path(template_url), sqlite_path(seed_url))
    days = working_days(today_local() + timedelta(days=1), 40)[:30]
    app_loop = asyncio.get_running_loop()
    db = Database.from_url(ours_url)  # the product's default pool, as `booking serve` builds it
    steps: list[tuple[Step, Step]] = []
    base_seconds, ramp_seconds = (8.0, 3.0) if quick else (20.0, 5.0)
    try:
        with booking_serve(seed_url) as (port, server_pid):
            paths = {
                "ours": lambda: BridgeClient(db, shop, app_loop),
                "seed": lambda: HttpClient(port, shop),
            }
            for make_client in paths.values():
                await warm_up(make_client, shop, days)
            freeze_like_serve()
            cpu = {
                "ours": await cpu_per_call(paths["ours"], shop, days[-5:], None, 60),
                "seed": await cpu_per_call(paths["seed"], shop, days[-5:], server_pid, 60),
            }
            for number, rate in enumerate(RATES):
                seconds = base_seconds if rate == BASE_RATE else ramp_seconds
                order = ["ours", "seed"] if number % 2 == 0 else ["seed", "ours"]
                done = {
                    name: await run_step(name, paths[name], shop, days, rate, seconds)
                    for name in order
                }
                steps.append((done["ours"], done["seed"]))
                print(
                    f"  {rate:g}/s: ours p99 {done['ours'].worst_p99():.1f} ms, "
                    f"seed p99 {done['seed'].worst_p99():.1f} ms",
                    flush=True,
                )
                if done["ours"].saturated() and done["seed"].saturated():
                    break
    finally:
        await db.dispose()
    return {"steps": steps, "floor": sqlite_floor(ours_url, shop), "cpu": cpu}


def report(results: dict[str, Any]) -> dict[str, bool]:
    steps: list[tuple[Step, Step]] = results["steps"]
    rows = []
    for ours, seed in steps:
        for tool in TOOLS:
            o50, o99, _ = summary_ms(ours.latencies[tool])
            s50, s99, _ = summary_ms(seed.latencies[tool])
            rows.append(
                (
                    f"{ours.rate:g}",
                    tool,
                    len(ours.latencies[tool]),
                    o50,
                    o99,
                    s50,
                    s99,
                    f"{s99 / o99:.1f}x" if o99 > 0 else "-",
                )
            )
    print_table(
        f"Case 2a: tool latency, {CALLS} calls on their own threads, ours (bridge) vs the "
        "seed's (HTTP)",
        [
            "tool calls/s",
            "tool",
            "n (each path)",
            "ours p50 ms",
            "ours p99 ms",
            "HTTP p50 ms",
            "HTTP p99 ms",
            "HTTP/ours p99",
        ],
        rows,
        "Latency is from the tool starting its service call to the answer, measured on the "
        "call's own loop. Arrivals are open-loop, so a saturated path shows growing waits.",
    )
    summary_rows = []
    for ours, seed in steps:
        o_lag = percentile([v * 1000 for v in ours.app_loop_lag], 99)
        summary_rows.append(
            (
                f"{ours.rate:g}",
                f"{ours.throughput:.0f}",
                ours.p99(),
                ours.worst_p99(),
                o_lag,
                _problems(ours),
                f"{seed.throughput:.0f}",
                seed.p99(),
                seed.worst_p99(),
                _problems(seed),
            )
        )
    print_table(
        "Case 2b: where each path saturates",
        [
            "offered/s",
            "ours done/s",
            "ours p99 all ms",
            "ours worst tool p99 ms",
            "app loop lag p99 ms",
            "ours errors",
            "HTTP done/s",
            "HTTP p99 all ms",
            "HTTP worst tool p99 ms",
            "HTTP errors",
        ],
        summary_rows,
        "'done/s': answers over the time from the first arrival to the last answer. The ramp "
        f"stops once both paths saturate (done/s under 80% of offered, or p99 over "
        f"{SATURATED_MS / 1000:g} s). Errors are timeouts and failures (a time taken by "
        "someone else is an answer, not an error).",
    )
    floor = results["floor"]
    base_ours = steps[0][0]
    lookup50, lookup99, _ = summary_ms(base_ours.latencies["lookup"])
    floor_rows = [(name, len(times), *summary_ms(times)[:2]) for name, times in floor.items()] + [
        (
            "lookup through the bridge at 10/s (from 2a)",
            len(base_ours.latencies["lookup"]),
            lookup50,
            lookup99,
        )
    ]
    print_table(
        "Case 2c: the raw SQLite floor for the caller lookup (sqlite3, one connection, no load)",
        ["path", "n", "p50 ms", "p99 ms"],
        floor_rows,
    )

    cpu = results["cpu"]
    print_table(
        "Case 2d: CPU per tool call, one at a time (insensitive to other load on the machine)",
        ["tool", "ours CPU ms", "HTTP CPU ms (client + server)", "HTTP/ours"],
        [
            (tool, ours, seed, f"{seed / ours:.2f}x")
            for tool in TOOLS
            for ours, seed in [(cpu["ours"][tool], cpu["seed"][tool])]
        ],
        "Ours: all CPU of this process (app loop and the call's thread). "
        "HTTP: this process (the httpx client) plus the server process.",
    )

    def knee(index: int) -> float:
        best = 0.0
        for pair in steps:
            if pair[index].worst_p99() < TARGET_KNEE_MS:
                best = pair[index].rate
            else:
                break
        return best

    ours_knee, seed_knee = knee(0), knee(1)
    base_ok = base_ours.worst_p99() < TARGET_BASE_P99_MS
    knee_ok = ours_knee >= TARGET_KNEE_RATE
    lower_ok = all(o.p99(t) < s.p99(t) for o, s in steps for t in TOOLS)
    print_table(
        "Case 2: targets",
        ["target", "measured", "verdict"],
        [
            (
                f"p99 < {TARGET_BASE_P99_MS:g} ms at {BASE_RATE:g} tool calls/s (every tool)",
                f"{base_ours.worst_p99():.1f} ms",
                verdict(base_ok),
            ),
            (
                f">= {TARGET_KNEE_RATE:g} tool calls/s before p99 passes {TARGET_KNEE_MS:g} ms",
                f"ours {_rate_text(ours_knee)}, HTTP {_rate_text(seed_knee)}",
                verdict(knee_ok),
            ),
            (
                "lower p99 than HTTP at every rate and tool",
                _lower_summary(steps),
                verdict(lower_ok),
            ),
        ],
    )
    return {"base": base_ok, "knee": knee_ok, "lower": lower_ok}


def _rate_text(rate: float) -> str:
    return f"{rate:g}/s" if rate else f"not even {BASE_RATE:g}/s"


def _problems(step: Step) -> int:
    return sum(n for key, n in step.outcomes.items() if key.endswith(("error", "unfinished")))


def _lower_summary(steps: list[tuple[Step, Step]]) -> str:
    ratios = [s.p99(t) / o.p99(t) for o, s in steps for t in TOOLS if o.p99(t) > 0 and s.p99(t) > 0]
    if not ratios:
        return "-"
    return f"HTTP/ours p99 from {min(ratios):.1f}x to {max(ratios):.1f}x"


def main(quick: bool = False) -> dict[str, bool]:
    return report(asyncio.run(measure(quick)))


if __name__ == "__main__":
    main()
