"""A background thread started once, on first use, in the process that uses it.

Started on first use rather than at init_app, so that it runs in the serving process even when a
server forks after loading the app, and CLI commands start none.
"""

import threading
from collections.abc import Callable


class Daemon:
    def __init__(self, target: Callable[[], None], name: str) -> None:
        self.thread: threading.Thread | None = None
        self._target, self._name = target, name
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self.thread is not None:
            return
        with self._lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._target, name=self._name, daemon=True)
                self.thread.start()
