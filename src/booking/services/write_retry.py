"""A write transaction run again when the database aborted it to break a deadlock."""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from booking.db import is_transient
from booking.errors import Unavailable

_P = ParamSpec("_P")
_T = TypeVar("_T")
_ATTEMPTS = 4


def retry_when_aborted(write: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[_T]]:
    """Run a write transaction again when the database aborted it to break a deadlock.

    On PostgreSQL, concurrent bookings of overlapping times can deadlock in the exclusion
    constraint (each waits for the other); the victim's next attempt sees the winner and gets a
    precise answer (usually SlotUnavailable) instead of a raw error.
    """

    @functools.wraps(write)
    async def attempt(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        for tries in range(1, _ATTEMPTS + 1):
            try:
                return await write(*args, **kwargs)
            except Unavailable as exc:
                if tries == _ATTEMPTS or not is_transient(exc):
                    raise
            await asyncio.sleep(random.uniform(0, 0.02 * tries))  # de-synchronise the retries
        raise AssertionError("unreachable")

    return attempt
