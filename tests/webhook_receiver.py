"""A real webhook receiver on loopback: an http.server in a thread that verifies every delivery
with standardwebhooks, and can be down, slow or hang on demand."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class Receiver:
    def __init__(self, host: str = "127.0.0.2") -> None:
        self.host = host
        self.secret = ""
        self.received: list[dict[str, Any]] = []  # verified deliveries, in arrival order
        self.arrived = threading.Event()  # any request arrived (verified or not)
        self.delay = 0.0  # seconds to wait before answering the next `slow_count` requests
        self.slow_count = 0
        self.hold = threading.Event()  # while `hanging`, requests wait for it, then are dropped
        self.hanging = False
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrived.set()
                if receiver.hanging:
                    # The sender is killed meanwhile: this request counts as never received.
                    receiver.hold.wait(30)
                    return
                if receiver.slow_count > 0:
                    receiver.slow_count -= 1
                    time.sleep(receiver.delay)
                payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                receiver.received.append(
                    {"id": self.headers["webhook-id"], "payload": payload, "raw": json.loads(body)}
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received
