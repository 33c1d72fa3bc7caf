"""granian started by serve.py, as `make serve` runs it: proxy headers and log lines."""

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .production_server import ProductionServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ProductionServer]:
    running = ProductionServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    )
    running.start()
    yield running
    running.stop()


def test_a_trusted_proxy_sets_the_scheme(server: ProductionServer) -> None:
    response = server.request("GET", "/api/v1/articles", {"X-Forwarded-Proto": "https"})
    assert response.status == 200
    # The app sees https: it sends HSTS. Links stay on SITE_URL whatever the request says.
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Link"].startswith("<http://127.0.0.1:8000/")
    assert "Strict-Transport-Security" not in server.request("GET", "/api/v1/articles").headers


def test_an_untrusted_proxy_does_not(database_url: str) -> None:
    elsewhere = ProductionServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "FORWARDED_ALLOW_IPS": "10.9.9.9"}
    )
    elsewhere.start()
    try:
        response = elsewhere.request("GET", "/api/v1/articles", {"X-Forwarded-Proto": "https"})
    finally:
        elsewhere.stop()
    assert "Strict-Transport-Security" not in response.headers


def test_one_json_line_per_request_and_the_servers_own_lines_json_too(
    server: ProductionServer,
) -> None:
    response = server.request("GET", "/healthz", {"X-Request-ID": "server-line-1"})
    assert response.headers["X-Request-ID"] == "server-line-1"

    def of_the_request(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in lines if line.get("request_id") == "server-line-1"]

    # The line may be written after the response is sent: wait for it.
    logged = server.wait_for_log(lambda lines: len(of_the_request(lines)) >= 1)
    lines = of_the_request(logged)
    # The app's line alone: granian's access log is off, so there is no second one.
    assert [line["event"] for line in lines] == ["request"]
    assert lines[0]["method"] == "GET" and lines[0]["status"] == 200
    assert lines[0]["duration_ms"] >= 0
    # granian's start-up lines went through the same JSON formatter.
    whole = server.stdout().split("\n")[:-1]
    assert any(line.get("logger", "").startswith("_granian") for line in logged)
    assert all(line.startswith("{") for line in whole if line.strip()), whole


def test_no_key_reaches_the_servers_output(server: ProductionServer) -> None:
    token = "fck_0123456789ab_" + "S3cretPart-of_the-key" * 2
    ids = [f"no-key-{number}" for number in range(3)]
    server.request(
        "GET", "/api/v1/articles", {"Authorization": f"Bearer {token}", "X-Request-ID": ids[0]}
    )
    server.request(
        "GET",
        f"/api/v1/articles?key={token}",
        {"User-Agent": f"Bearer {token}", "X-Request-ID": ids[1]},
    )
    server.request(
        "GET",
        f"/api/v1/articles/{token}",
        {"Authorization": f"Basic {token}", "X-Request-ID": ids[2]},
    )

    def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in lines if line.get("request_id") in ids]

    # Read the output once the three requests' lines (perhaps written after the answer) are in.
    logged = server.wait_for_log(lambda lines: len(request_lines(lines)) >= 3)
    assert len(request_lines(logged)) == 3
    output = server.stdout() + server.stderr()
    assert "S3cretPart" not in output


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    release, started = tmp_path / "release", tmp_path / "started"
    server = ProductionServer(
        {"SLOW_APP_RELEASE": str(release), "SLOW_APP_STARTED": str(started)},
        target=("slow_wsgi_app:app", Path(__file__).parent),
    )
    server.start()
    answers: list[Any] = []
    in_flight = threading.Thread(target=lambda: answers.append(server.request("GET", "/slow")))
    in_flight.start()
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.exists(), "the slow request never reached the app"
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)

        def stopping(lines: list[dict[str, Any]]) -> bool:
            return any(str(line.get("event", "")).startswith("Stopping worker") for line in lines)

        # The worker has begun its graceful stop while the request is still held.
        assert stopping(server.wait_for_log(stopping, timeout=30))
        assert not answers
    finally:
        release.touch()
        in_flight.join(30)
    assert [(answer.status, answer.body) for answer in answers] == [(200, b"finished")]
    assert server.process.wait(30) == 0, "the server did not stop by itself after the request"
    server.stop()


def test_a_worker_freezes_what_it_built_at_start_up(tmp_path: Path) -> None:
    # Out of the collector's sight, a full collection does not walk the app's own objects: a
    # pause for every thread of the worker otherwise.
    server = ProductionServer(
        {"SLOW_APP_RELEASE": str(tmp_path / "release"), "SLOW_APP_STARTED": str(tmp_path / "s")},
        target=("slow_wsgi_app:app", Path(__file__).parent),
    )
    server.start()
    try:
        response = server.request("GET", "/frozen")
    finally:
        server.stop()
    assert response.status == 200
    assert int(response.body) > 1000
