"""`python -m benchmarks` (`make bench`): every case in one run, the machine first, targets last.

`--quick` shortens each case (fewer samples, for trying things out); `--only 2,4` runs some.
Each case also runs alone: `python -m benchmarks.availability`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks import (
    availability,
    bookings,
    bridge,
    calendar_busy,
    calls,
    heavy_query,
    startup,
    tool_load,
    voice_load,
)
from benchmarks.common import load_average, print_machine, print_table, quiet_logs

CASES: dict[int, tuple[str, Callable[[bool], Any]]] = {
    1: ("the bridge alone", bridge.main),
    2: ("tool latency under load, ours vs HTTP", tool_load.main),
    3: ("availability against the size of the book", availability.main),
    4: ("bookings per second", bookings.main),
    5: ("calls per process", calls.main),
    6: ("start-up and memory", startup.main),
    7: ("voice calls per process, audio both ways", voice_load.main),
    8: ("the heaviest availability query beside 50 calls' tools", heavy_query.main),
    9: ("availability with the staff's own calendars", calendar_busy.main),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, a rougher picture")
    parser.add_argument("--only", default="", help="comma-separated case numbers, e.g. 2,4")
    args = parser.parse_args()
    chosen = [int(n) for n in args.only.split(",") if n.strip()] or list(CASES)
    quiet_logs()
    began = time.perf_counter()
    print("# booking benchmarks" + (" (quick)" if args.quick else ""))
    print_machine()
    rows = []
    for number in chosen:
        title, run = CASES[number]
        print(f"\n## Case {number}: {title}\n", flush=True)
        case_began = time.perf_counter()
        outcome = run(args.quick)
        rows.append((number, title, _verdicts(outcome), f"{time.perf_counter() - case_began:.0f}"))
    print_table(
        "Summary",
        ["case", "what", "targets", "seconds"],
        rows,
        f"Whole run: {time.perf_counter() - began:.0f} s. Load average at the end (1, 5, 15 "
        f"min): {load_average()}.",
    )


def _verdicts(outcome: Any) -> str:
    if outcome is None:
        return "(no target: figures only)"
    if isinstance(outcome, bool):
        return "met" if outcome else "MISSED"
    return ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in outcome.items())


if __name__ == "__main__":
    main()
