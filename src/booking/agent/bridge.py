"""The one way a call's thread reaches the service layer: hop onto the app loop, with a timeout.

Calls run as THREAD jobs, each with its own event loop, while the database engine and its pool
belong to the app loop (asyncpg connections are bound to the loop that made them). Every
service call from a tool goes through `ServiceBridge.call`, so there is one rule to reason about.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from booking.errors import Unavailable
from booking.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")


class BridgeTimeout(Unavailable):
    """The service call did not answer in time; the caller is told so in a sentence."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the booking system did not answer within {seconds:g} seconds")


class ServiceBridge:
    """Runs service coroutines on the app loop and hands their results back to the caller's loop."""

    def __init__(self, app_loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.app_loop = app_loop
        self.timeout = timeout

    async def call(self, coroutine: Coroutine[Any, Any, T], *, cancel_on_timeout: bool = True) -> T:
        """Await `coroutine` on the app loop. A write passes cancel_on_timeout=False: it is left to
        finish (it is idempotent), and only the wait is given up."""
        if asyncio.get_running_loop() is self.app_loop:
            task: asyncio.Future[T] = asyncio.ensure_future(coroutine)
        else:
            task = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.app_loop))
        try:
            # asyncio.timeout, unlike wait_for, adds no task of its own to each hop; the shield
            # keeps the timeout from cancelling the work itself (decided below).
            async with asyncio.timeout(self.timeout):
                return await asyncio.shield(task)
        except TimeoutError:
            if cancel_on_timeout:
                task.cancel()
            else:  # left to finish: its late failure is logged here, since nobody awaits it
                task.add_done_callback(_log_late_failure)
            raise BridgeTimeout(self.timeout) from None
        except asyncio.CancelledError:
            if cancel_on_timeout:
                task.cancel()
            raise


def _log_late_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning(
            "a service call finished after its caller stopped waiting, and failed",
            error=type(error).__name__,
        )
