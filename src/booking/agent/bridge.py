"""The one way a call's thread reaches the service layer: hop onto the app loop, with a timeout.

Calls run as THREAD jobs, each with its own event loop, while the database engine and its pool
belong to the app loop (asyncpg connections are bound to the loop that made them). Every
service call from a tool goes through `ServiceBridge.call`, so there is one rule to reason about.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
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
        loop = asyncio.get_running_loop()
        if loop is self.app_loop:
            work: asyncio.Future[T] | concurrent.futures.Future[T] = asyncio.ensure_future(
                coroutine
            )
        else:
            work = asyncio.run_coroutine_threadsafe(coroutine, self.app_loop)
        # One plain future and one timer per hop, the least asyncio offers: the answer is copied
        # across when the work ends or the timeout fires, whichever is first. Cancelling this
        # wait never reaches the work by itself; what happens to the work is decided below.
        answer: asyncio.Future[T] = loop.create_future()
        if loop is self.app_loop:
            work.add_done_callback(functools.partial(_copy_outcome, answer))
        else:
            work.add_done_callback(functools.partial(_hand_back, loop, answer))
        timer = loop.call_later(self.timeout, _time_out, answer)
        try:
            return await answer
        except TimeoutError:
            if cancel_on_timeout:
                work.cancel()
            else:  # left to finish: its late failure is logged here, since nobody awaits it
                work.add_done_callback(_log_late_failure)
            raise BridgeTimeout(self.timeout) from None
        except asyncio.CancelledError:
            if cancel_on_timeout:
                work.cancel()
            else:
                work.add_done_callback(_log_late_failure)
            raise
        finally:
            timer.cancel()


def _copy_outcome(answer: asyncio.Future[T], done: Any) -> None:
    if done.cancelled():
        if not answer.done():
            answer.cancel()
        return
    error = done.exception()  # read even when nobody waits any more, so it is never "unretrieved"
    if answer.done():
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(done.result())


def _hand_back(loop: asyncio.AbstractEventLoop, answer: asyncio.Future[T], done: Any) -> None:
    """On the app loop: pass the outcome to the call's loop, unless that call is already over."""
    with contextlib.suppress(RuntimeError):  # the call's loop closed meanwhile
        loop.call_soon_threadsafe(_copy_outcome, answer, done)


def _time_out(answer: asyncio.Future[Any]) -> None:
    if not answer.done():
        answer.set_exception(TimeoutError())


def _log_late_failure(task: Any) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning(
            "a service call finished after its caller stopped waiting, and failed",
            error=type(error).__name__,
        )
