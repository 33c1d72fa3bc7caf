"""The reads budget counted in process for the fast lane, and added to Redis in the background.

The first fast-lane read of an address in a window is counted in Redis at once (one round trip,
OneTripRedisStorage's script), which tells this process the window's count and end. Until that
end, further fast-lane reads of the address are counted here, in memory, and every SYNC_EVERY
seconds a thread adds them to the Redis counters in one pipelined round trip, reading back each
counter as all processes have left it. A normal-path hit of the same counter (Flask-Limiter's)
adds this process's pending reads of that counter to its own hit, and so is exact for them.

The approximation: a read is judged against this process's count, which misses what other
processes counted since its last sync. An address can therefore exceed its budget by what the
other processes (workers, replicas) served it in one SYNC_EVERY interval, never by more; this
process's own reads are always all counted. The RateLimit-Remaining of a fast-lane answer has
the same lag. When the sync fails, the counts are kept and added at the next one.
"""

import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

SYNC_EVERY = 0.1


@dataclass
class Window:
    count: int  # the counter in Redis when last read, this process's synced reads included
    pending: int  # counted here since, not yet added to Redis
    expires_at: float
    expiry: int  # the window's length in seconds, for a counter Redis has to start again


class ReadBudget:
    def __init__(self, storage: Any) -> None:
        self._storage = storage  # a rate_limits.OneTripRedisStorage
        self._windows: dict[str, Window] = {}
        self._lock = threading.Lock()
        self._sync_pid = 0

    def hit(self, key: str) -> tuple[int, float] | None:
        """Count one read against counter `key` (prefixed) here: the count it makes and the end
        of its window, or None when this process knows no current window (count in Redis)."""
        now = time.time()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now >= window.expires_at:
                return None
            window.pending += 1
            count = window.count + window.pending
            expires_at = window.expires_at
        if self._sync_pid != os.getpid():
            self._start_sync()
        return count, expires_at

    def seen(self, key: str, count: int, expires_at: float, expiry: int) -> None:
        """Redis says counter `key` is at `count` until `expires_at`."""
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                self._windows[key] = Window(count, 0, expires_at, expiry)
            else:
                window.count, window.expires_at, window.expiry = count, expires_at, expiry

    def take(self, key: str) -> int:
        """What was counted here on `key` since the last sync, for a hit in Redis to add."""
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                return 0
            pending, window.pending = window.pending, 0
            return pending

    def give_back(self, key: str, pending: int) -> None:
        if pending:
            with self._lock:
                window = self._windows.get(key)
                if window is not None:
                    window.pending += pending

    def sync(self) -> None:
        """Add what was counted here to Redis, and read back every counter it touched."""
        now = time.time()
        with self._lock:
            batch = [(key, w.pending, w.expiry) for key, w in self._windows.items() if w.pending]
            for key, _pending, _expiry in batch:
                self._windows[key].pending = 0
            for key in [key for key, w in self._windows.items() if w.expires_at <= now]:
                if not self._windows[key].pending:
                    del self._windows[key]
        if not batch:
            return
        try:
            answers = self._storage.add_counts(batch)
        except Exception:  # Redis failed: keep the counts for the next sync
            with self._lock:
                for key, pending, expiry in batch:
                    window = self._windows.setdefault(key, Window(0, 0, 0.0, expiry))
                    window.pending += pending
            return
        for (key, _pending, expiry), (count, expires_at) in zip(batch, answers, strict=True):
            self.seen(key, count, expires_at, expiry)

    def _start_sync(self) -> None:
        with self._lock:
            if self._sync_pid == os.getpid():
                return
            self._sync_pid = os.getpid()
        budget = weakref.ref(self)  # the thread must not keep an app's storage alive
        threading.Thread(
            target=_sync_every, args=(budget,), name="read-budget", daemon=True
        ).start()


def _sync_every(budget: "weakref.ref[ReadBudget]") -> None:
    while True:
        time.sleep(SYNC_EVERY)
        found = budget()
        if found is None:
            return
        found.sync()
        del found
