"""Who before what (issue 11, point 5): a missing or bad key is 401 and a key without the scope
403, before the body is parsed or validated."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import new_organization

# Every write route, with a body that fails validation (or parsing) there.
WRITES = [
    ("post", "/api/v1/articles", {"headline": ""}, "write"),
    ("patch", "/api/v1/articles/1", {"url": "javascript:alert(1)"}, "write"),
    ("post", "/api/v1/articles/1/fact-checks", {"rating": {"ratingValue": "x"}}, "write"),
    ("patch", "/api/v1/fact-checks/1", {"claimReviewed": ""}, "write"),
    ("post", "/api/v1/fact-checks/1/publish", {"unexpected": True}, "publish"),
    ("post", "/api/v1/fact-checks/1/retract", {}, "publish"),
]


def send(client: FlaskClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return getattr(client, method)(path, json=body, headers={"If-Match": "*", **headers})


@pytest.mark.parametrize(("method", "path", "body", "_scope"), WRITES)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer fc_not-a-key", "Basic dXNlcjpwYXNz", "Bearer"]
)
def test_no_key_or_a_bad_key_is_401_before_validation(
    client: FlaskClient,
    writer: dict[str, str],
    method: str,
    path: str,
    body: Any,
    _scope: str,
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = send(client, method, path, body, headers)
    assert response.status_code == 401, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "errors" not in response.get_json()


@pytest.mark.parametrize(("method", "path", "body", "scope"), WRITES)
def test_a_key_without_the_scope_is_403_before_validation(
    app: Flask, client: FlaskClient, method: str, path: str, body: Any, scope: str
) -> None:
    other = "publish" if scope == "write" else "write"
    headers = new_organization(app, "narrow", scopes=other)
    response = send(client, method, path, body, headers)
    assert response.status_code == 403, response.get_json()
    assert "errors" not in response.get_json()


def test_malformed_json_from_an_anonymous_caller_is_401(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/articles", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


def test_a_malformed_idempotency_key_without_a_key_is_401(client: FlaskClient) -> None:
    response = client.post("/api/v1/articles", json={}, headers={"Idempotency-Key": "two words"})
    assert response.status_code == 401


def test_with_the_scope_the_body_is_validated(client: FlaskClient, writer: dict[str, str]) -> None:
    response = send(client, "post", "/api/v1/articles", {"headline": ""}, writer)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/headline"
