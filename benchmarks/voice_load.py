"""Case 7: voice calls per process. N simultaneous calls, each a real `AgentSession` with the
real Gemini Live plugin (`google.realtime.RealtimeModel`), on its own thread and event loop as
LiveKit THREAD jobs run, service calls hopping to the app loop through the bridge; audio both
ways at real-time pace against one local Gemini Live stand-in in a process of its own (Gemini
is remote in production, so its work is kept off this process's CPU and GIL).

A call: the caller's line streams 20 ms frames of 24 kHz audio (the room's rate) for the whole
call. The stand-in plays case 5's conversation: after 2-6 s of the caller's audio the model calls
check_availability, then book_appointment (T1), then list_my_appointments, answering each tool
response with 1.5 s of speech streamed in 20 ms chunks at real-time pace; then a goodbye. The
call hangs up once the goodbye has played: about 25 s, three tool calls, like case 5.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import struct
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import Connection as Pipe
from typing import Any

from livekit import rtc
from sqlalchemy import select
from tests.agent.scripted import tool
from tests.agent.test_audio import Loudspeaker, VoiceStandIn, start_voice_call, tone_frames
from tests.gemini_live.server import Connection, TestAuthority
from tests.gemini_live.server import Step as ScriptStep

from benchmarks.common import (
    LoopLag,
    freeze_like_serve,
    make_bench_shop,
    new_sqlite_url,
    percentile,
    print_table,
    quiet_logs,
    run_in_threads,
    summary_ms,
    today_local,
    working_days,
)
from booking.agent.bridge import ServiceBridge
from booking.agent.call import CallRuntime
from booking.agent.model import gemini_factory
from booking.config import load_settings
from booking.db import Database
from booking.models import ToolCall

SIZES = (1, 5, 10, 20, 40)
QUICK_SIZES = (1, 5, 10)
ROOM_RATE = 24_000  # what LiveKit's room input delivers (decoded from the 8 kHz phone leg)
FRAME_SECONDS = 0.02
GEMINI_BYTES_PER_SECOND = 16_000 * 2  # 16 kHz, 16-bit mono
REPLY_SECONDS = 1.5
PAUSE = (2.0, 6.0)  # seconds of the caller's audio before each model turn, as case 5 pauses
STAFF = 10
TOOL_P99_LIMIT_MS = 50.0
LATE_TOLERANCE = 0.04  # a frame may reach the output this much after its place in the reply
BUDGET_SECONDS = 150.0  # no larger step starts after this much of the case has passed
STAMP = struct.Struct("<dd")  # a chunk's real-time slot and when it left, in its first 8 samples
REPLIES = ["I have a few times; the first is the earliest.", "You're booked.", "That's it."]


# -- the stand-in's side (its own process) ----------------------------------------------------


class ConversingStandIn(VoiceStandIn):
    """Drives each connection through case 5's conversation, taking a turn whenever the caller
    has streamed 2-6 s more audio, as Gemini's voice activity detection would."""

    def __init__(self, authority: TestAuthority, days: list[str]) -> None:
        super().__init__(authority, real_time=True, reply_audio_seconds=REPLY_SECONDS)
        self.days = days
        self._replied: dict[int, asyncio.Event] = {}
        self.unfinished = 0
        self._drivers: dict[int, asyncio.Task[None]] = {}
        self._cpu = time.process_time()

    def _stamp(self, chunk: bytes, due: float) -> bytes:
        # perf_counter is CLOCK_MONOTONIC, one clock for both processes of this machine
        return STAMP.pack(due, time.perf_counter()) + chunk[STAMP.size :]

    async def _on_frame(self, connection: Connection, frame: dict[str, Any]) -> None:
        await super()._on_frame(connection, frame)
        if connection.number not in self._drivers:
            self._drivers[connection.number] = asyncio.create_task(self._converse(connection))

    async def _reply(self, connection: Connection, text: str, audio_seconds: float | None) -> None:
        await super()._reply(connection, text, audio_seconds)
        if replied := self._replied.get(connection.number):
            replied.set()

    async def _converse(self, connection: Connection) -> None:
        number = connection.number
        rng = random.Random(number)
        staff = f"Stylist {rng.randrange(STAFF) + 1}"
        turns: list[ScriptStep] = [
            tool("check_availability", date=rng.choice(self.days), staff=staff),
            tool("book_appointment", option_id="T1"),
            tool("list_my_appointments"),
            "Goodbye!",
        ]
        self.scripts[number] = list(REPLIES)
        replied = self._replied.setdefault(number, asyncio.Event())
        for step in turns:
            heard = self.caller_bytes.get(number, 0) + rng.uniform(*PAUSE) * 2 * 16_000
            while self.caller_bytes.get(number, 0) < heard:
                if connection.socket.close_code is not None:
                    self.unfinished += 1
                    return
                await asyncio.sleep(0.05)
            replied.clear()
            await self.play(step, connection)
            try:
                async with asyncio.timeout(30):
                    await replied.wait()  # the tool's answer and the reply that follows it
            except TimeoutError:
                self.unfinished += 1
                return

    def take_stats(self) -> dict[str, Any]:
        """What this step measured on the stand-in's side; cleared for the next step."""
        stats = {
            "tool_waits": list(self.tool_waits),
            "send_lateness": list(self.send_lateness),
            "caller_bytes": sum(self.caller_bytes.values()),
            "unfinished": self.unfinished,
            "cpu": time.process_time() - self._cpu,
        }
        for task in self._drivers.values():
            task.cancel()
        self._drivers.clear()
        self.connections.clear()
        for record in (self.tool_waits, self.send_lateness):
            record.clear()
        self.caller_bytes.clear()
        self._replied.clear()
        self.scripts.clear()
        self.unfinished = 0
        self._cpu = time.process_time()
        return stats


def serve_stand_in(pipe: Pipe, days: list[str]) -> None:
    """The stand-in process: sends its URL and CA file, then the stats of each step on request."""
    asyncio.run(_serve(pipe, days))


async def _serve(pipe: Pipe, days: list[str]) -> None:
    quiet_logs()
    server = ConversingStandIn(TestAuthority(tempfile.mkdtemp(prefix="gemini-live-")), days)
    await server.start()
    pipe.send((server.base_url, server.ca_file))
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, pipe.recv) != "stop":
        pipe.send(server.take_stats())
    await server.stop()


# -- the product's side (this process) --------------------------------------------------------


@dataclass
class Observed:
    """What the calls saw, gathered from their threads (list appends are atomic)."""

    fed_seconds: list[float] = field(default_factory=list)
    transits: list[float] = field(default_factory=list)  # from leaving the stand-in to the output
    behind: list[float] = field(default_factory=list)  # from the frame's real-time slot
    call_lags: list[float] = field(default_factory=list)
    ended: list[bool] = field(default_factory=list)


async def voice_call(
    index: int, runtime: CallRuntime, phone: str, observed: Observed, rng: random.Random
) -> None:
    """One caller: streams the line at real-time pace until the goodbye has played."""
    await asyncio.sleep(rng.uniform(0, 2))  # calls arrive over two seconds, as in case 5
    lag = LoopLag(FRAME_SECONDS)
    lag.start()
    call = await start_voice_call(runtime, phone, room_name=f"v{index}")
    frame = tone_frames(FRAME_SECONDS, ROOM_RATE)[0]
    fed = await _stream_until_goodbye(call.line_in.push, frame, call.speaker)
    await call.hang_up()
    await lag.stop()
    observed.fed_seconds.append(fed)
    observed.ended.append(call.speaker.finished >= len(REPLIES) + 1)
    observed.call_lags += lag.lags
    for segment in call.speaker.segments:
        for heard in segment:
            due, sent = STAMP.unpack_from(bytes(heard.frame.data[:8]))
            observed.transits.append(heard.at - sent)
            observed.behind.append(heard.at - due)


async def _stream_until_goodbye(
    push: Any, frame: rtc.AudioFrame, speaker: Loudspeaker, limit: float = 60.0
) -> float:
    """Push one 20 ms frame every 20 ms (on a fixed schedule, so a late wake-up is made up)
    until all four replies have played; the seconds of audio streamed."""
    began = time.perf_counter()
    sent = 0
    while speaker.finished < len(REPLIES) + 1 and sent * FRAME_SECONDS < limit:
        push(frame)
        sent += 1
        wait = began + sent * FRAME_SECONDS - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
    return sent * FRAME_SECONDS


@dataclass
class VoiceStep:
    calls: int
    seconds: float
    cpu: float
    observed: Observed
    app_lags: list[float]
    stand_in: dict[str, Any]
    tool_bodies: list[float]

    @property
    def call_minutes(self) -> float:
        return sum(self.observed.fed_seconds) / 60

    def late_frames(self) -> int:
        """Frames this process held up: more than the tolerance from the stand-in's socket to
        the session's audio output."""
        return sum(1 for transit in self.observed.transits if transit > LATE_TOLERANCE)

    def behind_schedule(self) -> int:
        """Frames that reached the output more than the tolerance after their real-time slot
        (the stand-in's own lateness included)."""
        return sum(1 for behind in self.observed.behind if behind > LATE_TOLERANCE)

    def tool_p99_ms(self) -> float:
        return summary_ms([wait for _, wait in self.stand_in["tool_waits"]])[1]

    def broken(self) -> bool:
        """Far past holding: larger steps would only take longer to say the same."""
        return self.late_frames() > 0.01 * len(self.observed.transits) or not self.finished()

    def finished(self) -> bool:
        return len(self.observed.ended) == self.calls and all(self.observed.ended)

    def holds(self) -> bool:
        return (
            self.tool_p99_ms() <= TOOL_P99_LIMIT_MS and self.late_frames() == 0 and self.finished()
        )


async def run_step(count: int, pipe: Pipe, base_url: str, days: list[str]) -> VoiceStep:
    db = Database.from_url(await new_sqlite_url(f"voice-{count}"))
    try:
        shop = await make_bench_shop(db, staff_count=STAFF, customer_count=max(SIZES))
        settings = load_settings(
            database_url="sqlite+aiosqlite:///unused.db",
            google_api_key="bench-key",
            gemini_base_url=base_url,
        )
        factory = gemini_factory(settings)
        app_loop = asyncio.get_running_loop()
        observed = Observed()
        freeze_like_serve()
        lag = LoopLag()
        lag.start()

        async def body(index: int) -> None:
            runtime = CallRuntime(
                db=db,
                bridge=ServiceBridge(app_loop, settings.tool_timeout_seconds),
                settings=settings,
                model_factory=factory,
            )
            await voice_call(index, runtime, shop.phones[index], observed, random.Random(index))

        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.to_thread(run_in_threads, count, body)
        cpu, seconds = time.process_time() - cpu, time.perf_counter() - began
        await lag.stop()
        stand_in = await asyncio.to_thread(_ask, pipe, "stats")
        async with db.read() as session:
            bodies = [ms / 1000 for ms in await session.scalars(select(ToolCall.latency_ms))]
    finally:
        await db.dispose()
    return VoiceStep(count, seconds, cpu, observed, lag.lags, stand_in, bodies)


def _ask(pipe: Pipe, request: str) -> Any:
    pipe.send(request)
    return pipe.recv()


async def measure(quick: bool = False) -> list[VoiceStep]:
    days = [d.isoformat() for d in working_days(today_local() + timedelta(days=1), 20)]
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve_stand_in, args=(theirs, days), daemon=True)
    process.start()
    saved = os.environ.get("SSL_CERT_FILE")
    steps: list[VoiceStep] = []
    began = time.perf_counter()
    try:
        base_url, ca_file = await asyncio.to_thread(ours.recv)
        os.environ["SSL_CERT_FILE"] = ca_file  # google-genai always speaks TLS to a base URL
        for count in QUICK_SIZES if quick else SIZES:
            if steps and time.perf_counter() - began > BUDGET_SECONDS:
                print(f"  {count} calls: skipped, the case's time budget is spent", flush=True)
                break
            step = await run_step(count, ours, base_url, days)
            steps.append(step)
            print(
                f"  {count} calls: tool p99 {step.tool_p99_ms():.0f} ms, "
                f"late frames {step.late_frames()}, CPU {step.cpu / step.call_minutes:.1f} s "
                f"per call-minute (stand-in {step.stand_in['cpu'] / step.call_minutes:.1f} s)",
                flush=True,
            )
            if step.broken():
                break
        ours.send("stop")
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
        if saved is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = saved
    return steps


def report(steps: list[VoiceStep]) -> None:
    rows = []
    for step in steps:
        app50, app99, app_max = summary_ms(step.app_lags)
        waits = [wait for _, wait in step.stand_in["tool_waits"]]
        tool50, tool99, _ = summary_ms(waits)
        body99 = summary_ms(step.tool_bodies)[1]
        transits = [t * 1000 for t in step.observed.transits]
        fed_bytes = sum(step.observed.fed_seconds) * GEMINI_BYTES_PER_SECOND
        rows.append(
            (
                step.calls,
                f"{step.call_minutes:.1f}",
                step.cpu / step.call_minutes,
                app50,
                app99,
                app_max,
                percentile([v * 1000 for v in step.observed.call_lags], 99),
                len(waits),
                tool50,
                tool99,
                body99,
                len(transits),
                percentile(transits, 50),
                percentile(transits, 99),
                max(transits, default=0),
                step.late_frames(),
                step.behind_schedule(),
                f"{100 * step.stand_in['caller_bytes'] / fed_bytes:.1f}%",
                percentile([v * 1000 for v in step.stand_in["send_lateness"]], 99),
                step.stand_in["cpu"] / step.call_minutes,
                sum(1 for ended in step.observed.ended if not ended)
                + step.calls
                - len(step.observed.ended),
                "yes" if step.holds() else "NO",
            )
        )
    print_table(
        "Case 7: simultaneous voice calls in one process (real Gemini Live plugin, audio both "
        "ways in real time)",
        [
            "calls",
            "call-min",
            "CPU s per call-min",
            "app lag p50 ms",
            "app lag p99 ms",
            "app lag max ms",
            "call loop lag p99 ms",
            "tool calls",
            "tool p50 ms",
            "tool p99 ms",
            "tool body p99 ms",
            "frames out",
            "frame transit p50 ms",
            "frame transit p99 ms",
            "frame transit max ms",
            "late frames",
            "behind real time",
            "caller audio at Gemini",
            "stand-in send lag p99 ms",
            "stand-in CPU s per call-min",
            "calls unfinished",
            "holds",
        ],
        rows,
        "CPU: this process only (app loop, call threads, the plugin's websockets; the stand-in "
        "runs in its own process), over the minutes of audio the callers streamed. App lag: how "
        "late a 10 ms sleep wakes on the app loop; call loop lag: a 20 ms sleep on each call's "
        "loop. Tool: what the model waits, from the stand-in sending the toolCall to the "
        "toolResponse arriving; its body is the tool's own time as the call log records it "
        "(service calls through the bridge). Frame transit: from the stand-in's socket to the "
        "session's audio output (each 20 ms chunk carries the time it left). Late frames: "
        f"transit over {LATE_TOLERANCE * 1000:.0f} ms (two frames of playout buffer), time this "
        "process added. Behind real time: frames reaching the output over "
        f"{LATE_TOLERANCE * 1000:.0f} ms after their real-time slot, the stand-in's own lag "
        "included. "
        "Caller audio at Gemini: 16 kHz bytes the stand-in received over those the 24 kHz "
        "line fed. Stand-in send lag and CPU: how late the stand-in (the other process, on the "
        "same cores) sent its paced chunks, and what it spent. "
        f"Holds: tool p99 at most {TOOL_P99_LIMIT_MS:g} ms, no late frame, every call finished.",
    )
    held, first_miss = 0, None
    for step in steps:
        if not step.holds():
            first_miss = step.calls
            break
        held = step.calls
    tested = ", ".join(str(s.calls) for s in steps)
    print(
        f"Calls one process holds (tried {tested}): {held}"
        + (f"; at {first_miss} it did not" if first_miss else "")
        + ".\n",
        flush=True,
    )


def main(quick: bool = False) -> None:
    report(asyncio.run(measure(quick)))


if __name__ == "__main__":
    main()
