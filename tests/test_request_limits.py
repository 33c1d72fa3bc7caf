"""Over-long request lines and header fields are 414 and 431 problem+json, answered by the app
through the production server (granian alone would answer them with an empty 431)."""

import socket
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from factcheck.settings import SettingsError, from_env

from .production_server import ProductionServer
from .redis_server import RedisServer

PROBLEM = "application/problem+json"
LIMITS = {"MAX_REQUEST_LINE": "2000", "MAX_HEADER_FIELD_SIZE": "1000", "MAX_HEADER_FIELDS": "30"}


@pytest.fixture(scope="module")
def server(database_url: str, redis_server: RedisServer) -> Iterator[ProductionServer]:
    running = ProductionServer(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_server.url, **LIMITS}
    )
    running.start()
    yield running
    running.stop()


def raw_request(server: ProductionServer, head: str) -> tuple[int, dict[str, str], bytes]:
    """Send a request head as it is (http.client checks what it sends) and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head.encode("latin-1") + b"Connection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head_bytes, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_problem(answer: tuple[int, dict[str, str], bytes], status: int) -> None:
    code, headers, body = answer
    assert code == status, body[:300]
    assert headers["content-type"] == PROBLEM, body[:300]
    assert headers["x-content-type-options"] == "nosniff"
    assert b'"status": %d' % status in body
    assert b"<html" not in body.lower()


@pytest.mark.parametrize("length", [2100, 9000, 60_000])
def test_an_over_long_request_line_is_414_problem_json(
    server: ProductionServer, length: int
) -> None:
    # 9000 was past gunicorn's default limit (4094); 60 000 is near granian's (a 64 KiB target).
    target = "/api/v1/claims:search?query=" + "a" * length
    answer = raw_request(server, f"GET {target} HTTP/1.1\r\nHost: localhost\r\n")
    assert_problem(answer, 414)
    assert len(answer[2]) < 2000  # the path is not echoed whole


def test_a_request_line_within_the_limit_is_served(server: ProductionServer) -> None:
    # A lookup by a long (valid) URL: answered by the view, an empty list.
    target = "/api/v1/fact-checks?url=https://news.example/" + "a" * 1500
    status, _, body = raw_request(server, f"GET {target} HTTP/1.1\r\nHost: localhost\r\n")
    assert (status, body.strip()) == (200, b"[]"), body


@pytest.mark.parametrize("length", [1100, 9000, 20_000])
def test_an_over_long_header_field_is_431_problem_json(
    server: ProductionServer, length: int
) -> None:
    head = f"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: {'a' * length}\r\n"
    assert_problem(raw_request(server, head), 431)


def test_too_many_header_fields_are_431_problem_json(server: ProductionServer) -> None:
    fields = "".join(f"X-Field-{number}: x\r\n" for number in range(40))
    assert_problem(
        raw_request(server, f"GET /healthz HTTP/1.1\r\nHost: localhost\r\n{fields}"), 431
    )
    # 99 fields with Host and Connection: within granian's 100, so still the app's answer
    # (MAX_HEADER_FIELDS may be at most 98).
    fields = "".join(f"X-Field-{number}: x\r\n" for number in range(97))
    assert_problem(
        raw_request(server, f"GET /healthz HTTP/1.1\r\nHost: localhost\r\n{fields}"), 431
    )
    few = "".join(f"X-Field-{number}: x\r\n" for number in range(10))
    status, _, _ = raw_request(server, f"GET /healthz HTTP/1.1\r\nHost: localhost\r\n{few}")
    assert status == 200


def test_the_defaults_apply_in_the_app_too(client: FlaskClient) -> None:
    response = client.get("/healthz?" + "a" * 9000)
    assert response.status_code == 414
    assert response.mimetype == PROBLEM
    assert response.get_json()["type"] == "urn:factcheck:problem:uri-too-long"
    response = client.get("/healthz", headers={"X-Padding": "a" * 9000})
    assert response.status_code == 431
    assert response.get_json()["type"] == "urn:factcheck:problem:request-header-fields-too-large"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_REQUEST_LINE", "2000000"),
        ("MAX_REQUEST_LINE", "70000"),
        ("MAX_HEADER_FIELD_SIZE", "40000"),
        ("MAX_HEADER_FIELDS", "5"),
        # granian's HTTP parser stops at 100 fields: the app must count fewer to answer first.
        ("MAX_HEADER_FIELDS", "100"),
    ],
)
def test_limits_the_server_would_answer_first_stop_start_up(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        from_env({name: value})
