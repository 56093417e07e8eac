"""Failed sign-ins counted in memory per key (a client address, or an address and a name), bounded in size.

A key that has failed `limit` times within `window` seconds is refused until the oldest of those failures is older
than the window. Only the newest `max_keys` keys are kept, so a flood of addresses cannot exhaust memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class Throttle:
    def __init__(self, limit: int, window: float, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: Hashable) -> float:
        """Seconds until the key may try again; 0 when it may now."""
        with self._lock:
            failures = self._failures.get(key)
            if failures is None or len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[0] + self.window - self.clock())

    def fail(self, key: Hashable) -> None:
        now = self.clock()
        with self._lock:
            failures = self._failures.pop(key, None) or deque(maxlen=self.limit)
            while failures and failures[0] + self.window <= now:
                failures.popleft()
            failures.append(now)
            self._failures[key] = failures  # the newest at the end
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def clear(self, key: Hashable) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)
