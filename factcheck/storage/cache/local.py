"""In-process copies of hot documents, so a hit skips the network round trip.

Redis tells this process about every change to a document key of its namespace (CLIENT TRACKING
in broadcast mode with the namespace's `doc:` prefix, RESP3 push messages on a connection of its
own, watched by a thread, which starts once the namespace is known: `track`). Copies are kept
only while that connection is known to be healthy: it is pinged every PING_EVERY seconds and must
answer within the socket timeout, or every copy is dropped until it is back. The epoch refuses a
copy read from Redis before an invalidation that arrived while it was being read.
"""

import logging
import threading
import time
import weakref
from typing import Any, Protocol

import redis

from factcheck.storage.cache.daemon import Daemon

log = logging.getLogger(__name__)

LOCAL_MAX = 10_000
PING_EVERY = 0.25
RECONNECT_AFTER = 0.5


class HasClient(Protocol):
    client: redis.Redis | None


class Local:
    def __init__(self, owner: HasClient) -> None:
        self.entries: dict[str, object] = {}
        self.epoch = 0
        self.live = False
        self.hits = 0
        # The prefix of the document keys to track, `<namespace>doc:`; None until it is known.
        self.prefix: str | None = None
        # Weak, so the watching thread never keeps an app (and its client) alive.
        self._owner = weakref.ref(owner)
        self._lock = threading.Lock()
        self._watcher = Daemon(self._run, "cache-track")

    def track(self, prefix: str) -> None:
        """Watch the document keys under `prefix` (set once: the namespace never changes)."""
        if self.prefix is None:
            self.prefix = prefix
        self._watcher.ensure_started()

    def get(self, name: str) -> object | None:
        return self.entries.get(name) if self.live else None

    def keep(self, name: str, value: object, epoch: int) -> None:
        with self._lock:
            if self.live and epoch == self.epoch:
                if len(self.entries) >= LOCAL_MAX:
                    self.entries.clear()
                self.entries[name] = value

    def drop(self, names: list[str]) -> None:
        with self._lock:
            for name in names:
                self.entries.pop(name, None)
            self.epoch += 1

    def _reset(self, live: bool) -> None:
        with self._lock:
            self.entries.clear()
            self.epoch += 1
            self.live = live

    def _run(self) -> None:
        while (owner := self._owner()) is not None and owner.client is not None:
            pool = owner.client.connection_pool
            kwargs = {**pool.connection_kwargs, "protocol": 3}
            del owner  # the thread must not keep the app alive
            connection = pool.connection_class(**kwargs)
            try:
                connection.connect()
                # redis-py has no public hook for push messages on one connection; its own
                # client-side cache (Redis 7.4 and later only) sets the parser's the same way.
                # pyproject.toml bounds redis-py below 9 for this private attribute.
                connection._parser.set_invalidation_push_handler(self._invalidated)
                connection.send_command(
                    "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self._tracked()
                )
                connection.read_response()
                self._reset(live=True)
                self._watch(connection)
            except (redis.RedisError, OSError) as error:
                log.info("cache tracking connection lost: %s", error)
            finally:
                self._reset(live=False)
                connection.disconnect()
            time.sleep(RECONNECT_AFTER)

    def _watch(self, connection: Any) -> None:
        while self._owner() is not None:
            connection.send_command("PING")
            if connection.read_response() != b"PONG":
                raise redis.ConnectionError("no PONG on the tracking connection")
            until = time.monotonic() + PING_EVERY
            while (left := until - time.monotonic()) > 0:
                if connection.can_read(timeout=left):
                    connection.read_response(push_request=True)

    def _tracked(self) -> str:
        if self.prefix is None:
            raise RuntimeError("local copies tracked before the namespace is known")
        return self.prefix

    def _invalidated(self, message: list[Any]) -> None:
        keys = message[1]
        if keys is None:  # FLUSHDB or FLUSHALL
            self._reset(live=True)
        else:
            # Keys under the tracked prefix only (BCAST PREFIX): the rest of each is the name.
            start = len(self._tracked())
            self.drop([key.decode()[start:] for key in keys])
