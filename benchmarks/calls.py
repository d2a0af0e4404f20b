"""Case 5: calls per process. N simultaneous text-mode `AgentSession`s, each on its own thread
and event loop as LiveKit THREAD jobs run, with a scripted model, run whole booking
conversations through the real receptionist tools, bridge and database; tool p99 and event-loop
lag at N = 10, 50, 100.

A conversation: the caller is identified (open_call), asks for a day and a stylist
(check_availability), takes the first option (book_appointment), asks what they have booked
(list_my_appointments), says goodbye. The caller pauses 2-6 s before each turn (speaking and
listening take about that long on a phone), so a call lasts about 20 s here.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from livekit.agents import TurnHandlingOptions, llm
from sqlalchemy import func, select
from tests.agent.scripted import ScriptedLLM as TestScriptedLLM
from tests.agent.scripted import Step, tool

from benchmarks.common import (
    BenchShop,
    LoopLag,
    freeze_like_serve,
    make_bench_shop,
    new_sqlite_url,
    percentile,
    print_table,
    run_in_threads,
    summary_ms,
    today_local,
    working_days,
)
from booking.agent.bridge import ServiceBridge
from booking.agent.call import CallRuntime, new_receptionist, new_session, open_call
from booking.agent.caller import CallerLine
from booking.agent.recorder import CallRecorder
from booking.config import load_settings
from booking.db import Database
from booking.models import Appointment, Call, ToolCall

SIZES = (10, 50, 100)
TURNS_PER_CALL = 8  # four caller turns, four replies: each a transcript write
SHOP_NUMBER = "+12125550100"


# -- the tests' scripted model, timing how long each tool call takes to come back -------------


class ScriptedLLM(TestScriptedLLM):
    """Replies from a script; records how long each tool call took to come back to the model
    (from the tool call being emitted to the next request, which carries its output)."""

    def __init__(self, script: list[Step], tool_waits: list[tuple[str, float]]) -> None:
        super().__init__(script)
        self.tool_waits = tool_waits
        self._pending: tuple[str, float] | None = None

    def chat(self, **kwargs: Any) -> llm.LLMStream:
        if self._pending is not None:
            name, emitted = self._pending
            self.tool_waits.append((name, time.perf_counter() - emitted))
            self._pending = None
        return super().chat(**kwargs)

    def tool_emitted(self, name: str) -> None:
        self._pending = (name, time.perf_counter())


# -- one call ---------------------------------------------------------------------------------


@dataclass
class Observed:
    tool_waits: list[tuple[str, float]] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    setups: list[float] = field(default_factory=list)
    call_lags: list[float] = field(default_factory=list)
    outputs: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


async def conversation(
    index: int,
    db: Database,
    shop: BenchShop,
    app_loop: asyncio.AbstractEventLoop,
    days: list[date],
    observed: Observed,
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, 2))  # calls arrive over two seconds
    lag = LoopLag(0.02)
    lag.start()
    day = rng.choice(days)
    stylist = f"Stylist {rng.randrange(len(shop.staff_ids)) + 1}"
    waits: list[tuple[str, float]] = []
    model = ScriptedLLM(
        [
            tool("check_availability", date=day.isoformat(), staff=stylist),
            "I have a few times; the first is the earliest.",
            tool("book_appointment", option_id="T1"),
            "You're booked.",
            tool("list_my_appointments"),
            "That's your appointment.",
            "Goodbye!",
        ],
        waits,
    )
    settings = load_settings(database_url="sqlite+aiosqlite:///unused.db")
    runtime = CallRuntime(
        db=db,
        bridge=ServiceBridge(app_loop, settings.tool_timeout_seconds),
        settings=settings,
        model_factory=lambda: model,
    )
    began = time.perf_counter()
    try:
        opened = await open_call(
            runtime,
            CallerLine(caller=shop.phones[index], dialled=SHOP_NUMBER, room_name=f"r{index}"),
        )
    except Exception:
        opened = None  # production apologises and hangs up (call.apologise_and_hang_up)
    if opened is None:
        await lag.stop()
        with observed.lock:
            observed.refused += 1
        return
    state, upcoming = opened
    session = new_session(
        runtime, state, vad=None, turn_handling=TurnHandlingOptions(turn_detection=None)
    )
    recorder = CallRecorder(session, state)
    await session.start(new_receptionist(runtime, state, upcoming, greet=False))
    setup = time.perf_counter() - began
    turns, outputs = [], Counter[str]()
    for text in (
        f"Hi, a haircut on {day:%A} with {stylist}",
        "The first one, please",
        "When is it again?",
        "Thanks, bye",
    ):
        await asyncio.sleep(rng.uniform(2, 6))
        began = time.perf_counter()
        result = await session.run(user_input=text)
        turns.append(time.perf_counter() - began)
        for event in result.events:
            if event.type == "function_call_output":
                outputs["error" if event.item.is_error else "ok"] += 1
    await session.aclose()
    await recorder.finish()
    await lag.stop()
    with observed.lock:
        observed.tool_waits += waits
        observed.turns += turns
        observed.setups.append(setup)
        observed.call_lags += lag.lags
        observed.outputs += outputs


@dataclass
class Run:
    calls: int
    seconds: float
    observed: Observed
    app_lags: list[float]
    tool_bodies: dict[str, list[float]]
    booked: int
    lost_turns: int
    unfinished: int


async def run_calls(count: int, quick: bool) -> Run:
    url = await new_sqlite_url(f"calls-{count}")
    db = Database.from_url(url)
    shop = await make_bench_shop(db, staff_count=10, customer_count=max(SIZES))
    days = working_days(today_local() + timedelta(days=1), 20)
    freeze_like_serve()
    app_loop = asyncio.get_running_loop()
    observed = Observed()
    lag = LoopLag()
    lag.start()
    began = time.perf_counter()

    async def body(index: int) -> None:
        await conversation(index, db, shop, app_loop, days, observed)

    try:
        await asyncio.to_thread(run_in_threads, count, body)
        seconds = time.perf_counter() - began
        await lag.stop()
        bodies: dict[str, list[float]] = {}
        async with db.read() as session:
            for name, latency in await session.execute(select(ToolCall.name, ToolCall.latency_ms)):
                bodies.setdefault(name, []).append(latency / 1000)
            booked = await session.scalar(select(func.count()).select_from(Appointment)) or 0
            logged = list(await session.execute(select(Call.transcript, Call.ended_at)))
    finally:
        await db.dispose()
    answered = count - observed.refused
    lost = TURNS_PER_CALL * answered - sum(len(transcript or []) for transcript, _ in logged)
    unfinished = sum(1 for _, ended in logged if ended is None)
    return Run(count, seconds, observed, lag.lags, bodies, int(booked), lost, unfinished)


async def measure(quick: bool = False) -> list[Run]:
    runs = []
    for count in SIZES:
        runs.append(await run_calls(count, quick))
        waits = [w for _, w in runs[-1].observed.tool_waits]
        print(f"  {count} calls: tool p99 {summary_ms(waits)[1]:.0f} ms", flush=True)
    return runs


def report(runs: list[Run]) -> None:
    rows = []
    for run in runs:
        waits = [w for _, w in run.observed.tool_waits]
        p50, p99, worst = summary_ms(waits)
        rows.append(
            (
                run.calls,
                f"{run.seconds:.1f}",
                len(waits),
                p50,
                p99,
                worst,
                summary_ms(run.observed.setups)[1],
                percentile([lag * 1000 for lag in run.app_lags], 99),
                max(run.app_lags, default=0) * 1000,
                percentile([lag * 1000 for lag in run.observed.call_lags], 99),
                run.booked,
                run.observed.outputs["error"],
                run.observed.refused,
                run.lost_turns,
                run.unfinished,
            )
        )
    print_table(
        "Case 5: simultaneous calls in one process (text-mode AgentSessions, real tools)",
        [
            "calls",
            "run s",
            "tool calls",
            "tool p50 ms",
            "tool p99 ms",
            "tool max ms",
            "call setup p99 ms",
            "app loop lag p99 ms",
            "app loop lag max ms",
            "call loop lag p99 ms",
            "booked",
            "tool errors",
            "calls refused",
            "transcript turns lost",
            "outcomes not stored",
        ],
        rows,
        "Tool time is what the model waits: from emitting the tool call to the next request "
        "carrying its output (the tool's service calls through the bridge, its call-log write, "
        "LiveKit's own handling). Call setup is open_call (caller lookup, call row) plus "
        "session start. Loop lag: how late a 10 ms (app) or 20 ms (call) sleep wakes. "
        "Tool errors include 'that time was just taken' when two callers chose the same time. "
        "Refused: open_call failed (the caller would hear the apology). Lost turns and "
        "outcomes: transcript and call-log writes that gave up (the bridge timeout, or the "
        "SQLite write queue's wait limit).",
    )
    detail = []
    for run in runs:
        by_tool: dict[str, list[float]] = {}
        for name, wait in run.observed.tool_waits:
            by_tool.setdefault(name, []).append(wait)
        for name in ("check_availability", "book_appointment", "list_my_appointments"):
            wait50, wait99, _ = summary_ms(by_tool.get(name, []))
            body50, body99, _ = summary_ms(run.tool_bodies.get(name, []))
            detail.append((run.calls, name, wait50, wait99, body50, body99))
    print_table(
        "Case 5: per tool (what the model waits, and the tool body as the call log records it)",
        ["calls", "tool", "wait p50 ms", "wait p99 ms", "body p50 ms", "body p99 ms"],
        detail,
        "The body excludes the call-log write that follows it; the wait includes it.",
    )


def main(quick: bool = False) -> None:
    report(asyncio.run(measure(quick)))


if __name__ == "__main__":
    main()
