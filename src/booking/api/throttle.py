"""A limit on failed authentication per client address, so tokens cannot be guessed quickly.

The address is the connection's peer, or the forwarded client when the peer is a proxy named in
TRUSTED_PROXIES (uvicorn resolves it; see `booking.server`). Only failures are refused: a valid
token is always served, so nobody's failures can lock an admin out. Counts live in this process
(a scaled-out deployment limits per process); old entries expire and memory is bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

MAX_FAILURES = 20
WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000


class FailedAuthThrottle:
    def __init__(
        self, max_failures: int = MAX_FAILURES, window_seconds: float = WINDOW_SECONDS
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._now = time.monotonic

    def _recent(self, client: str) -> deque[float]:
        now = self._now()
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def blocked_for(self, client: str) -> float:
        """Seconds until this client's next failure is answered 401 again; 0 when it is now."""
        failures = self._recent(client)
        if len(failures) < self.max_failures:
            return 0.0
        return max(self.window - (self._now() - failures[0]), 1.0)

    def record_failure(self, client: str) -> None:
        """Count a failure; failures while blocked count too (only the last few are kept), so
        an address that keeps guessing stays blocked."""
        failures = self._failures.get(client)
        if failures is None:
            failures = self._failures[client] = deque(maxlen=self.max_failures)
        failures.append(self._now())
        self._failures.move_to_end(client)
        while len(self._failures) > MAX_CLIENTS:
            self._failures.popitem(last=False)
