import json
import logging
import os
import re
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from factcheck import logs
from factcheck.web import auth, request_log

from .conftest import create_article, create_fact_check, new_organization, publish


def flushed(capsys: pytest.CaptureFixture[str]) -> Any:
    """What was written so far: the request lines are written by a thread of their own."""
    logs.flush()
    return capsys.readouterr()


def lines(captured: str) -> list[dict[str, Any]]:
    """Every line the service logged must be one JSON object."""
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def request_lines(captured: str) -> list[dict[str, Any]]:
    return [line for line in lines(captured) if line.get("event") == "request"]


def test_one_json_line_per_request_with_its_fields(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    flushed(capsys)
    response = client.get("/api/v1/fact-checks/7", headers={"X-Request-ID": "trace-7.a_b"})
    (line,) = request_lines(flushed(capsys).out)
    assert response.headers["X-Request-ID"] == "trace-7.a_b"
    assert line["request_id"] == "trace-7.a_b"
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/fact-checks/<id:fact_check_id>"
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"
    assert re.match(r"^\d{4}-\d\d-\d\dT", line["time"])


@pytest.mark.parametrize(
    "offered",
    ["", "x" * 129, "has space", "new\\nline", "<script>", "a/b", "ünïcode"],
)
def test_an_unfit_request_id_is_replaced(
    client: FlaskClient, capsys: pytest.CaptureFixture[str], offered: str
) -> None:
    flushed(capsys)
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    (line,) = request_lines(flushed(capsys).out)
    generated = response.headers["X-Request-ID"]
    assert generated != offered
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert line["request_id"] == generated


def test_without_a_request_id_each_request_gets_its_own(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def test_forked_workers_make_ids_of_their_own() -> None:
    """A server forks its workers after loading the app: a child must not draw the ids its
    parent (or a sibling) draws next."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits
        os.write(writer, request_log.new_request_id().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    with os.fdopen(reader) as pipe:
        in_child = pipe.read()
    assert re.fullmatch(r"[0-9a-f]{32}", in_child)
    assert in_child != request_log.new_request_id()


def test_other_log_lines_of_a_request_carry_its_id(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    @app.get("/test-log-inside")
    @auth.public  # every route declares what it needs (web/auth.py)
    def inside() -> str:
        logging.getLogger("factcheck.anything").warning("something to note")
        return "ok"

    flushed(capsys)
    response = app.test_client().get("/test-log-inside", headers={"X-Request-ID": "inside-1"})
    logged = lines(flushed(capsys).out)
    note = next(line for line in logged if line["event"] == "something to note")
    assert note["request_id"] == response.headers["X-Request-ID"] == "inside-1"
    assert note["level"] == "warning" and note["logger"] == "factcheck.anything"


def test_no_api_key_or_authorization_header_reaches_a_log_line(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = new_organization(app, "desk")
    token = headers["Authorization"].removeprefix("Bearer ")
    secret = token.split("_", 2)[2]

    # A careless handler that puts the credential into an exception and a log message.
    @app.get("/test-leaky")
    @auth.public  # every route declares what it needs (web/auth.py)
    def leaky() -> str:
        logging.getLogger("factcheck.leaky").info("got %s", request.headers["Authorization"])
        logging.getLogger("factcheck.leaky").info("fields", extra={"authorization": "x"})
        raise RuntimeError(f"failed for key {token}")

    client = app.test_client()
    flushed(capsys)
    article = create_article(client, headers)
    check = create_fact_check(client, headers, article.get_json()["id"])
    assert publish(client, headers, check).status_code == 200
    assert client.get("/api/v1/articles", headers=headers).status_code == 200
    assert client.get("/api/v1/articles", headers={"Authorization": "Bearer wrong"}).status_code
    assert client.get("/test-leaky", headers=headers).status_code == 500
    captured = flushed(capsys)
    output = captured.out + captured.err

    logged = lines(captured.out)
    assert len(request_lines(captured.out)) == 6
    assert any("Traceback" in line.get("exception", "") for line in logged)
    assert token not in output
    assert secret not in output
    assert "Bearer wrong" not in output
    # Redacted, not dropped: the line still says what happened.
    assert any("Bearer [redacted]" in line["event"] for line in logged)


def test_scrub_keeps_the_key_prefix_and_drops_secrets() -> None:
    scrubbed = logs.scrub(
        {
            "event": "calling with fck_0123456789ab_s3cr3t-Value_x and Basic dXNlcjpwYXNz",
            "api_key": "anything",
            "headers": {"Authorization": "Bearer abc", "Accept": "text/html"},
            "items": ["token Bearer abc.def"],
        }
    )
    assert scrubbed == {
        "event": "calling with fck_0123456789ab_[redacted] and Basic [redacted]",
        "api_key": "[redacted]",
        "headers": {"Authorization": "[redacted]", "Accept": "text/html"},
        "items": ["token Bearer [redacted]"],
    }


def test_log_level_comes_from_the_setting(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from .conftest import make_app

    app = make_app(database_url, "", LOG_LEVEL="WARNING")
    flushed(capsys)
    app.test_client().get("/healthz")
    assert request_lines(flushed(capsys).out) == []
    make_app(database_url, "", LOG_LEVEL="INFO")
