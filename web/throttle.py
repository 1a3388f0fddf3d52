"""Failed-login throttling per (username, client address), kept in this process's memory.

One uvicorn process serves the app, so memory is enough; the window is short (60 s), so a restart
loses little. Several worker processes would each count on their own.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
MAX_TRACKED_KEYS = 10_000


class LoginThrottle:
    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 when one is allowed now."""
        failures = self._recent((username.strip().lower(), address))
        if len(failures) < self.limit:
            return 0
        return max(1, int(failures[0] + self.window - self._clock()) + 1)

    def record_failure(self, username: str, address: str) -> None:
        if len(self._failures) >= MAX_TRACKED_KEYS:
            for key in list(self._failures):
                self._recent(key)
            if len(self._failures) >= MAX_TRACKED_KEYS:
                self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault((username.strip().lower(), address), deque()).append(self._clock())

    def reset(self, username: str, address: str) -> None:
        self._failures.pop((username.strip().lower(), address), None)
