"""The service under the production server (granian, started by the repository's serve.py) on a
free port, as a subprocess: what `make serve` and the container image run."""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.datastructures import Headers

from .redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent


class Response:
    # granian sends header names in lower case (HTTP/1.1 names are case-insensitive anyway).
    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class ProductionServer:
    def __init__(
        self, env: dict[str, str], workers: int = 1, target: tuple[str, Path] | None = None
    ) -> None:
        # serve.py's arguments: another WSGI app (module:attribute, its directory) than app:app.
        self.arguments = [target[0], str(target[1])] if target else []
        self.port = free_port()
        self.env = {
            key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"
        }
        self.env.update(
            env,
            BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers),
            SERVER_THREADS="2",
            SERVER_GRACEFUL_TIMEOUT="5",
        )
        directory = tempfile.mkdtemp(prefix="factcheck-server-")
        self.stdout_path = Path(directory) / "stdout"
        self.stderr_path = Path(directory) / "stderr"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "serve.py"), *self.arguments],
                cwd=ROOT,
                env=self.env,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited {self.process.returncode}: {self.stderr()}")
            try:
                if self.request("GET", "/healthz").status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer on port {self.port}: {self.stderr()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body).encode()
            sent = dict(headers or {})
            if payload is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=sent)
            answer = connection.getresponse()
            return Response(answer.status, Headers(answer.getheaders()), answer.read())
        finally:
            connection.close()

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()[-4000:]

    def log_lines(self) -> list[dict[str, Any]]:
        """Every JSON line the server wrote to stdout (the app's and granian's own). Only whole
        lines: the last one may still be being written."""
        whole = self.stdout().split("\n")[:-1]
        return [json.loads(line) for line in whole if line.startswith("{")]

    def wait_for_log(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 15
    ) -> list[dict[str, Any]]:
        """The log lines once `done(lines)` holds, or as they are when `timeout` seconds have
        passed (the caller's assertions then say what is missing). A line may be written after
        the response has been sent, so a client can read the log before the line is there."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log_lines()
            if done(lines) or time.monotonic() >= deadline:
                return lines
            time.sleep(0.05)
