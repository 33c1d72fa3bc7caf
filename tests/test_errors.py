"""§5: every error is problem+json with pointers, and no input a client can send gives a 500."""

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import ARTICLE, FACT_CHECK, create_article


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= body.keys()
    return body


def test_unknown_route_is_a_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_a_problem_with_allow(client: FlaskClient) -> None:
    response = client.put("/api/v1/articles")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_body_over_one_mebibyte(client: FlaskClient, writer: dict[str, str]) -> None:
    body = b'{"headline": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/articles", data=body, content_type="application/json", headers=writer
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_wrong_content_type(client: FlaskClient, writer: dict[str, str], content_type: str) -> None:
    response = client.post(
        "/api/v1/articles", data='{"headline": "x"}', content_type=content_type, headers=writer
    )
    assert_problem(response, 415)


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"",
        b'{"headline": NaN}',
        b'{"headline": "x", "n": Infinity}',
        b"[" * 33 + b"]" * 33,
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b"[" * 100_000,
        b'{"headline": "\xff"}',
        b'{"n": 1' + b"0" * 5000 + b"}",
    ],
    ids=[
        "truncated",
        "empty",
        "nan",
        "infinity",
        "deep-list",
        "deep-object",
        "very-deep",
        "not-utf8",
        "huge-int",
    ],
)
def test_malformed_json_is_400(client: FlaskClient, writer: dict[str, str], raw: bytes) -> None:
    response = client.post(
        "/api/v1/articles", data=raw, content_type="application/json", headers=writer
    )
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("headline", "nul\u0000byte"),
        ("headline", "bell\u0007"),
        ("headline", "lone \ud800 surrogate"),
        ("headline", "x" * 301),
        ("url", "javascript:alert(1)"),
        ("url", "file:///etc/passwd"),
        ("url", "data:text/html,hi"),
        ("datePublished", "2024-02-30"),
        ("inLanguage", "not a language"),
    ],
)
def test_bad_values_point_at_their_field(
    client: FlaskClient, writer: dict[str, str], field: str, value: str
) -> None:
    # ensure_ascii sends a lone surrogate as the \ud800 escape a hostile client would write.
    raw = json.dumps({**ARTICLE, field: value}, ensure_ascii=True)
    response = client.post(
        "/api/v1/articles", data=raw, content_type="application/json", headers=writer
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["pointer"] == f"/{field}"


def test_nested_errors_get_nested_pointers(client: FlaskClient, writer: dict[str, str]) -> None:
    article = create_article(client, writer).get_json()
    evidence = [FACT_CHECK["evidence"][0], {"url": "ftp://example.org/x", "relation": "maybe"}]
    response = client.post(
        f"/api/v1/articles/{article['id']}/fact-checks",
        json={**FACT_CHECK, "evidence": evidence},
        headers=writer,
    )
    body = assert_problem(response, 422)
    assert {error["pointer"] for error in body["errors"]} == {
        "/evidence/1/url",
        "/evidence/1/relation",
    }


def test_lists_have_maximums(client: FlaskClient, writer: dict[str, str]) -> None:
    article = create_article(client, writer).get_json()
    response = client.post(
        f"/api/v1/articles/{article['id']}/fact-checks",
        json={**FACT_CHECK, "evidence": FACT_CHECK["evidence"] * 51},
        headers=writer,
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["pointer"] == "/evidence"


def test_a_json_array_body_is_refused(client: FlaskClient, writer: dict[str, str]) -> None:
    response = client.post("/api/v1/articles", json=[ARTICLE], headers=writer)
    assert_problem(response, 422)


def test_bad_query_parameters_name_the_parameter(client: FlaskClient) -> None:
    body = assert_problem(client.get("/api/v1/articles", query_string={"pageSize": 1000}), 422)
    assert body["errors"][0]["parameter"] == "pageSize"


def test_a_huge_path_id_is_404_not_500(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/fact-checks/" + "9" * 40), 404)


def test_invalid_database_errors_never_leak(client: FlaskClient) -> None:
    body = assert_problem(client.get("/api/v1/organizations/" + "x" * 5000), 404)
    assert "Traceback" not in body["detail"]
