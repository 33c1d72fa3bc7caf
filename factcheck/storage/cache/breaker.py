"""A circuit breaker: a dead, paused or slow Redis costs each request at most one socket timeout.

The first failure opens it, and while it is open Redis is not asked at all. After a cool-down one
request (one thread) probes; the breaker closes only once the probe has succeeded, and the probe
is told to fail by any failure reported while it runs. A new breaker starts in the probing state,
since a new process cannot know what was lost before it started.
"""

import threading
import time
from collections.abc import Callable

CLOSED, OPEN, PROBING = "closed", "open", "probing"


class Breaker:
    def __init__(
        self,
        cool_down: float,
        probe: Callable[[], bool],
        notify: Callable[[str], None] = lambda _event: None,
    ) -> None:
        """`probe` returns whether the service is healthy again; `notify` hears "breaker_open"
        and "breaker_closed"."""
        self.cool_down = cool_down
        self.state = PROBING
        self.retry_at = 0.0
        # The thread probing, which alone may use the service until the probe ends.
        self.prober: int | None = None
        self._probe = probe
        self._notify = notify
        self._lock = threading.Lock()

    def allows(self) -> bool:
        """Whether the service may be asked now; may run the probe in the calling thread."""
        me = threading.get_ident()
        if self.state == CLOSED or self.prober == me:
            return True
        with self._lock:
            if self.state == CLOSED:
                return True
            if self.prober is not None or time.monotonic() < self.retry_at:
                return False
            self.prober = me
        healthy = self._probe()
        with self._lock:
            if self.prober != me:
                # A failure during the probe ended it (trip() left the breaker open), and after
                # the cool-down another thread may be probing by now: that probe decides.
                return False
            self.prober = None
            if healthy:
                self.state = CLOSED
            else:
                self.state, self.retry_at = OPEN, time.monotonic() + self.cool_down
        self._notify("breaker_closed" if healthy else "breaker_open")
        return healthy

    def trip(self) -> bool:
        """Open after a failure (ending any probe); True when it was closed until now."""
        with self._lock:
            was_closed = self.state == CLOSED
            # A failure during a probe ends the probe: `prober` None tells allows() so.
            self.state, self.retry_at, self.prober = OPEN, time.monotonic() + self.cool_down, None
        self._notify("breaker_open")
        return was_closed

    @property
    def closed(self) -> bool:
        return self.state == CLOSED
