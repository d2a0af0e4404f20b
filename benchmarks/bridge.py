"""Case 1: the bridge alone. An empty service call hopped from a call's thread (its own loop)
to the app loop and back, as every tool's service call travels. Target: p99 under 0.3 ms."""

from __future__ import annotations

import asyncio
import time

from benchmarks.common import print_table, run_in_threads, summary_ms, verdict
from booking.agent.bridge import ServiceBridge

TARGET_P99_MS = 0.3


async def _empty() -> None:
    return None


async def _hops(app_loop: asyncio.AbstractEventLoop, how: str, count: int) -> list[float]:
    bridge = ServiceBridge(app_loop, timeout=5.0)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        if how == "bridge":
            await bridge.call(_empty())
        elif how == "bare hop":
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_empty(), app_loop))
        else:
            await _empty()
        times.append(time.perf_counter() - started)
    return times


async def measure(quick: bool = False) -> list[tuple[str, int, list[float]]]:
    app_loop = asyncio.get_running_loop()
    count = 2000 if quick else 5000
    results = []
    for how, threads in (
        ("no hop (same loop)", 1),
        ("bare hop", 1),
        ("bridge", 1),
        ("bridge", 10),
    ):
        per_thread = count if threads == 1 else count // threads * 2

        async def body(_: int, how: str = how, per_thread: int = per_thread) -> list[float]:
            await _hops(app_loop, how, 200)  # warm up
            return await _hops(app_loop, how, per_thread)

        samples = await asyncio.to_thread(run_in_threads, threads, body)
        results.append((how, threads, [t for thread in samples for t in thread]))
    return results


def report(results: list[tuple[str, int, list[float]]]) -> bool:
    rows = []
    met = True
    for how, threads, samples in results:
        p50, p99, worst = summary_ms(samples)
        target = ""
        if how == "bridge" and threads == 1:
            met = p99 < TARGET_P99_MS
            target = f"p99 < {TARGET_P99_MS} ms: {verdict(met)}"
        rows.append((how, threads, len(samples), p50, p99, worst, target))
    print_table(
        "Case 1: the bridge alone (empty service call, call thread -> app loop -> back)",
        ["path", "call threads", "hops", "p50 ms", "p99 ms", "max ms", "target"],
        rows,
        "'no hop' awaits the empty coroutine on the call's own loop; 'bare hop' is "
        "run_coroutine_threadsafe + wrap_future with no timeout. "
        "With 10 threads all hop at once, back to back.",
    )
    return met


def main(quick: bool = False) -> bool:
    return report(asyncio.run(measure(quick)))


if __name__ == "__main__":
    main()
