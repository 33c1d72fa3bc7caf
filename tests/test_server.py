"""gunicorn with gunicorn.conf.py, as `make serve` runs it: proxy headers and log lines."""

from collections.abc import Iterator

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
    assert response.headers["Link"].startswith("<https://")


def test_an_untrusted_proxy_does_not(database_url: str) -> None:
    elsewhere = GunicornServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "FORWARDED_ALLOW_IPS": "10.9.9.9"}
    )
    elsewhere.start()
    try:
        response = elsewhere.request("GET", "/api/v1/articles", {"X-Forwarded-Proto": "https"})
    finally:
        elsewhere.stop()
    assert response.headers["Link"].startswith("<http://")


def test_access_and_request_lines_are_json_and_share_the_request_id(
    server: GunicornServer,
) -> None:
    response = server.request("GET", "/healthz", {"X-Request-ID": "gunicorn-line-1"})
    assert response.headers["X-Request-ID"] == "gunicorn-line-1"
    lines = [line for line in server.log_lines() if line.get("request_id") == "gunicorn-line-1"]
    events = sorted(line["event"] for line in lines)
    assert events == ["access", "request"]
    access = next(line for line in lines if line["event"] == "access")
    assert access["method"] == "GET" and access["path"] == "/healthz" and access["status"] == 200
    assert access["duration_ms"] >= 0 and access["pid"] > 0


def test_no_key_reaches_gunicorns_output(server: GunicornServer) -> None:
    token = "fck_0123456789ab_" + "S3cretPart-of_the-key" * 2
    server.request("GET", "/api/v1/articles", {"Authorization": f"Bearer {token}"})
    server.request("GET", f"/api/v1/articles?key={token}", {"User-Agent": f"Bearer {token}"})
    server.request("GET", f"/api/v1/articles/{token}", {"Authorization": f"Basic {token}"})
    output = server.stdout() + server.stderr()
    assert "S3cretPart" not in output
    assert sum(1 for line in server.log_lines() if line["event"] == "access") >= 3
