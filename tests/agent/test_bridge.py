"""The bridge hands service calls from a call's thread to the app loop and back, with a timeout."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from booking.agent.bridge import BridgeTimeout, ServiceBridge
from booking.errors import NotFound


def on_call_thread(body: Callable[[], Awaitable[Any]]) -> Any:
    """Run `body` on a new thread with its own event loop, as a LiveKit THREAD job runs."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(body())
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


async def finish(thread: threading.Thread, outcome: dict[str, Any]) -> Any:
    await asyncio.to_thread(thread.join, 10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


async def test_results_and_errors_cross_from_the_app_loop_to_the_call_loop():
    """A service coroutine runs on the app loop (never on the call's), and its result or its
    typed error reaches the call's loop unchanged."""
    app_loop = asyncio.get_running_loop()
    bridge = ServiceBridge(app_loop, timeout=5)

    async def service(fail: bool) -> tuple[bool, int]:
        if fail:
            raise NotFound("appointment", 7)
        return asyncio.get_running_loop() is app_loop, 42

    async def call() -> Any:
        answer = await bridge.call(service(False))
        with pytest.raises(NotFound):
            await bridge.call(service(True))
        return answer

    assert await finish(*on_call_thread(call)) == (True, 42)


async def test_a_read_that_hangs_is_cancelled_at_the_timeout():
    """A call that outlasts the timeout answers BridgeTimeout within it, and the hanging work
    on the app loop is cancelled."""
    bridge = ServiceBridge(asyncio.get_running_loop(), timeout=0.2)
    cancelled = asyncio.Event()

    async def hangs() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def call() -> float:
        started = asyncio.get_running_loop().time()
        with pytest.raises(BridgeTimeout):
            await bridge.call(hangs())
        return asyncio.get_running_loop().time() - started

    waited = await finish(*on_call_thread(call))
    assert 0.2 <= waited < 1.0
    await asyncio.wait_for(cancelled.wait(), 2)


async def test_a_slow_write_is_left_to_finish_after_the_timeout():
    """With cancel_on_timeout=False (writes) the caller stops waiting at the timeout, but the
    work itself runs to its end."""
    bridge = ServiceBridge(asyncio.get_running_loop(), timeout=0.1)
    written = asyncio.Event()

    async def slow_write() -> None:
        await asyncio.sleep(0.4)
        written.set()

    async def call() -> None:
        with pytest.raises(BridgeTimeout):
            await bridge.call(slow_write(), cancel_on_timeout=False)

    await finish(*on_call_thread(call))
    assert not written.is_set()
    await asyncio.wait_for(written.wait(), 2)


async def test_a_write_failing_after_its_caller_gave_up_is_logged():
    """A write whose caller stops waiting (here: the call's task is cancelled) and that fails
    afterwards is logged as such, not lost as an unretrieved exception."""
    from structlog.testing import capture_logs

    bridge = ServiceBridge(asyncio.get_running_loop(), timeout=5)
    failed = asyncio.Event()

    async def failing_write() -> None:
        await asyncio.sleep(0.2)
        failed.set()
        raise NotFound("appointment", 7)

    async def call() -> None:
        waiting = asyncio.create_task(bridge.call(failing_write(), cancel_on_timeout=False))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    with capture_logs() as logs:
        await finish(*on_call_thread(call))
        await asyncio.wait_for(failed.wait(), 2)
        await asyncio.sleep(0.05)
    assert [entry["error"] for entry in logs if "finished after" in entry["event"]] == ["NotFound"]
