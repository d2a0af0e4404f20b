"""Case 6: start-up (process start to `/health` 200) and memory (RSS).

Beside our figures, the floors: a bare interpreter, importing the HTTP stack alone (Litestar,
uvicorn, SQLAlchemy asyncio, aiosqlite), importing livekit-agents and the Google plugin alone,
and both. Each start is a new process; the median of several is reported after one unmeasured
run. Targets: HTTP-only start within 0.5 s of its floor, with the agent within 1 s of its floor;
idle RSS under 300 MB with no warm job runner (and the first call's extra wait reported), under
500 MB with one.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks.common import (
    bench_env,
    free_port,
    make_bench_shop,
    median,
    new_sqlite_url,
    print_table,
    scratch_dir,
    spawn_booking_serve,
    stop_process,
    verdict,
    wait_for_health,
)
from booking.db import Database

MB = 1024 * 1024
HTTP_FLOOR_MARGIN = 0.5
AGENT_FLOOR_MARGIN = 1.0
RSS_NO_RUNNER_MB = 300
RSS_ONE_RUNNER_MB = 500
AGENT_SETTINGS = {
    "LIVEKIT_URL": "ws://127.0.0.1:1",  # nothing answers: the agent keeps trying to register
    "LIVEKIT_API_KEY": "key",
    "LIVEKIT_API_SECRET": "secret",
    "GOOGLE_API_KEY": "dummy",
    "AGENT_HEALTH_PORT": "0",
}
# What LiveKit does unless told otherwise, and booking did before it turned the preload off.
PRELOAD_ON = {"LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE": "1"}
HTTP_ONLY = "booking serve, HTTP only"
WITH_AGENT = "booking serve with the agent (1 warm runner)"
SERVE_VARIANTS: dict[str, dict[str, str]] = {
    HTTP_ONLY: {},
    WITH_AGENT: AGENT_SETTINGS,
    "the same, LiveKit's local inference preloaded (before)": {**AGENT_SETTINGS, **PRELOAD_ON},
}
NO_RUNNER = "0 warm job runners"
ONE_RUNNER = "1 warm job runner (as shipped)"
AGENT_VARIANTS: dict[str, tuple[int, dict[str, str]]] = {
    NO_RUNNER: (0, {}),
    ONE_RUNNER: (1, {}),
    "1 warm job runner, local inference preloaded (before)": (1, PRELOAD_ON),
}
FLOORS = {
    "bare interpreter": "",
    "HTTP stack alone": "import litestar, uvicorn, sqlalchemy.ext.asyncio, aiosqlite",
    "livekit-agents + Google plugin alone": "import livekit.agents, livekit.plugins.google",
    "both stacks": (
        "import litestar, uvicorn, sqlalchemy.ext.asyncio, aiosqlite, "
        "livekit.agents, livekit.plugins.google"
    ),
}


def _rss(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / MB


def floor(imports: str) -> tuple[float, float]:
    """(seconds from process start to the imports done, RSS MB then)."""
    code = f"{imports}\nprint('ready', flush=True)\nimport sys; sys.stdin.read()"
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=bench_env(),
    )
    assert process.stdout is not None
    process.stdout.readline()
    seconds = time.perf_counter() - began
    rss = _rss(process.pid)
    process.communicate(b"")
    return seconds, rss


def wait_for_agent(port: int, process: Any, timeout: float = 60.0) -> None:
    """Poll /health until it says the agent is running."""
    import http.client
    import json

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and process.poll() is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/health")
            if json.loads(connection.getresponse().read()).get("agent") == "running":
                return
        except (OSError, ValueError):
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise TimeoutError("the agent did not start")


def serve_start(database_url: str, **settings: str) -> tuple[float, float]:
    """(seconds from `booking serve` starting to /health 200, RSS MB once settled)."""
    port = free_port()
    log = (scratch_dir() / f"start-{port}.log").open("wb")
    began = time.perf_counter()
    process = spawn_booking_serve(database_url, port, log, **settings)
    try:
        wait_for_health(port, process)
        seconds = time.perf_counter() - began
        if settings:
            wait_for_agent(port, process)  # running: its warm job runner is ready
        time.sleep(0.5)
        rss = _rss(process.pid)
    finally:
        stop_process(process, timeout=30)
        log.close()
    return seconds, rss


def agent_memory(
    database_url: str, business_id: int, idle_runners: int, calls: int, **settings: str
) -> dict[str, Any]:
    """Idle RSS, the first call's wait for a job runner, and RSS with `calls` in progress."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.agent_process",
            str(port),
            str(idle_runners),
            str(calls),
        ],
        env=bench_env(DATABASE_URL=database_url, BUSINESS_ID=str(business_id), **settings),
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=(scratch_dir() / f"agent-{port}.log").open("wb"),
        text=True,
    )
    found: dict[str, Any] = {}
    assert process.stdout is not None
    try:
        for line in process.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "idle":
                found["idle"] = _rss(process.pid)
            elif word == "first-call-wait":
                found["first_wait"] = float(rest)
            elif word == "busy":
                found["busy"] = _rss(process.pid)
                found["active"] = int(rest)
            elif word == "exited":
                break
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return found


async def _database() -> tuple[str, int]:
    url = await new_sqlite_url("startup")
    db = Database.from_url(url)
    shop = await make_bench_shop(db, staff_count=2, customer_count=10)
    await db.dispose()
    return url, shop.business_id


def measure(quick: bool = False) -> dict[str, Any]:
    url, business_id = asyncio.run(_database())
    results: dict[str, Any] = {"floors": {}, "serve": {}, "agent": {}}
    floor(FLOORS["both stacks"])  # unmeasured: fills the page cache

    def repeats(label: str) -> int:  # the slow starts (LiveKit imports) fewer times
        slow = "livekit" in label or "both" in label or "agent" in label or "same" in label
        return (1 if slow else 2) if quick else (2 if slow else 3)

    for label, imports in FLOORS.items():
        runs = [floor(imports) for _ in range(repeats(label))]
        results["floors"][label] = (median([r[0] for r in runs]), median([r[1] for r in runs]))
    for label, settings in SERVE_VARIANTS.items():
        runs = [serve_start(url, **settings) for _ in range(repeats(label))]
        results["serve"][label] = (median([r[0] for r in runs]), median([r[1] for r in runs]))
    for label, (runners, settings) in AGENT_VARIANTS.items():
        results["agent"][label] = agent_memory(url, business_id, runners, 50, **settings)
    return results


def report(results: dict[str, Any]) -> dict[str, bool]:
    floors, serve = results["floors"], results["serve"]
    rows = [(label, seconds, rss) for label, (seconds, rss) in floors.items()]
    rows += [(label, seconds, rss) for label, (seconds, rss) in serve.items()]
    print_table(
        "Case 6a: start-up and idle memory against the import floors",
        ["process", "start s", "RSS MB"],
        rows,
        "Floors: a new interpreter importing only those packages (start = process start to "
        "imports done). `booking serve`: process start to /health 200 on a migrated SQLite "
        "file, RSS once /health says the agent is running (its warm job runner ready); "
        "LiveKit is unreachable, so the agent keeps trying to register while HTTP serves. "
        "Medians of two or three starts.",
    )
    agent = results["agent"]
    memory_rows = [
        (
            label,
            found.get("idle"),
            (found.get("first_wait") or 0) * 1000,
            found.get("busy"),
            found.get("active"),
        )
        for label, found in agent.items()
    ]
    print_table(
        "Case 6b: memory with the agent (THREAD jobs), idle and with 50 calls in progress",
        ["agent server", "idle RSS MB", "first call waits ms", "RSS with 50 calls MB", "calls"],
        memory_rows,
        "The first call's wait runs from simulate_job to the call's entrypoint starting: with "
        "no warm runner it includes creating one. The 50 calls are fake LiveKit jobs with a "
        "scripted model, each with its AgentSession on a mock room.",
    )
    http_floor = floors["HTTP stack alone"][0]
    agent_floor = floors["livekit-agents + Google plugin alone"][0]
    http_start = serve[HTTP_ONLY][0]
    agent_start = serve[WITH_AGENT][0]
    verdicts = {
        "http_start": http_start - http_floor <= HTTP_FLOOR_MARGIN,
        "agent_start": agent_start - agent_floor <= AGENT_FLOOR_MARGIN,
        "rss_none": (agent[NO_RUNNER].get("idle") or 1e9) < RSS_NO_RUNNER_MB,
        "rss_one": (agent[ONE_RUNNER].get("idle") or 1e9) < RSS_ONE_RUNNER_MB,
    }
    print_table(
        "Case 6: targets",
        ["target", "measured", "verdict"],
        [
            (
                f"HTTP-only start within {HTTP_FLOOR_MARGIN:g} s of the HTTP floor",
                f"{http_start:.2f} s vs {http_floor:.2f} s (+{http_start - http_floor:.2f})",
                verdict(verdicts["http_start"]),
            ),
            (
                f"start with the agent within {AGENT_FLOOR_MARGIN:g} s of the agent floor",
                f"{agent_start:.2f} s vs {agent_floor:.2f} s (+{agent_start - agent_floor:.2f})",
                verdict(verdicts["agent_start"]),
            ),
            (
                f"idle RSS < {RSS_NO_RUNNER_MB} MB with no warm runner",
                f"{agent[NO_RUNNER].get('idle', float('nan')):.0f} MB",
                verdict(verdicts["rss_none"]),
            ),
            (
                f"idle RSS < {RSS_ONE_RUNNER_MB} MB with one warm runner",
                f"{agent[ONE_RUNNER].get('idle', float('nan')):.0f} MB",
                verdict(verdicts["rss_one"]),
            ),
        ],
    )
    return verdicts


def main(quick: bool = False) -> dict[str, bool]:
    return report(measure(quick))


if __name__ == "__main__":
    main()
