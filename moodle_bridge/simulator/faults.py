"""Failures the simulated Moodle can be told to produce, the way a real one fails."""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = frozenset({
    "http_500",         # a PHP fatal error or a proxy: HTTP 500
    "http_429",         # a rate-limiting proxy, with Retry-After
    "http_403_empty",   # web services or REST switched off
    "http_503_html",    # maintenance started from the command line (climaintenance.html)
    "sitemaintenance",  # maintenance mode set in the admin pages (HTTP 200, JSON error)
    "timeout",          # the call runs, but the answer comes too late for the client
    "drop",             # the call runs, then the connection drops before the answer
    "locktimeout",      # Moodle gave up waiting for a lock (HTTP 200, JSON error)
})


@dataclass
class Fault:
    kind: str
    function: str | None = None  # None: any function
    times: int = 1  # how many calls it hits
    skip: int = 0  # matching calls to let through first

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {sorted(KINDS)}")


class FaultPlan:
    """Faults in the order added; each hits its matching calls until used up. Thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, function: str | None = None, times: int = 1, skip: int = 0) -> None:
        with self._lock:
            self._faults.append(Fault(kind, function, times, skip))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, function: str) -> str | None:
        """The fault this call meets, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.function not in (None, function) or fault.times <= 0:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault.kind
        return None
