"""gunicorn with gunicorn.conf.py, as `make serve` runs it: proxy headers and log lines."""

from collections.abc import Iterator
from typing import Any

import pytest

from .gunicorn_server import GunicornServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[GunicornServer]:
    running = GunicornServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    )
    running.start()
    yield running
    running.stop()


def test_a_trusted_proxy_sets_the_scheme(server: GunicornServer) -> None:
    response = server.request("GET", "/api/v1/articles", {"X-Forwarded-Proto": "https"})
    assert response.status == 200
    # The app sees https: it sends HSTS. Links stay on SITE_URL whatever the request says.
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Link"].startswith("<http://127.0.0.1:8000/")
    assert "Strict-Transport-Security" not in server.request("GET", "/api/v1/articles").headers


def test_an_untrusted_proxy_does_not(database_url: str) -> None:
    elsewhere = GunicornServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "FORWARDED_ALLOW_IPS": "10.9.9.9"}
    )
    elsewhere.start()
    try:
        response = elsewhere.request("GET", "/api/v1/articles", {"X-Forwarded-Proto": "https"})
    finally:
        elsewhere.stop()
    assert "Strict-Transport-Security" not in response.headers


def test_access_and_request_lines_are_json_and_share_the_request_id(
    server: GunicornServer,
) -> None:
    response = server.request("GET", "/healthz", {"X-Request-ID": "gunicorn-line-1"})
    assert response.headers["X-Request-ID"] == "gunicorn-line-1"

    def of_the_request(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in lines if line.get("request_id") == "gunicorn-line-1"]

    # The access line is written after the response is sent: wait for it.
    logged = server.wait_for_log(lambda lines: len(of_the_request(lines)) >= 2)
    lines = of_the_request(logged)
    events = sorted(line["event"] for line in lines)
    assert events == ["access", "request"]
    access = next(line for line in lines if line["event"] == "access")
    assert access["method"] == "GET" and access["path"] == "/healthz" and access["status"] == 200
    assert access["duration_ms"] >= 0 and access["pid"] > 0


def test_no_key_reaches_gunicorns_output(server: GunicornServer) -> None:
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

    def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in lines if line["event"] == "access" and line["request_id"] in ids]

    # Read the output once the three requests' access lines (written after the response) are in.
    logged = server.wait_for_log(lambda lines: len(access_lines(lines)) >= 3)
    assert len(access_lines(logged)) == 3
    output = server.stdout() + server.stderr()
    assert "S3cretPart" not in output
