from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from .conftest import ARTICLE


def test_create_org_and_key_then_write(runner: Any, client: FlaskClient) -> None:
    created = runner.invoke(
        args=[
            "create-org",
            "tribune",
            "--name",
            "Tribune Checks",
            "--url",
            "https://tribune.example/",
        ]
    )
    assert created.exit_code == 0, created.output
    issued = runner.invoke(args=["create-api-key", "tribune", "--name", "cms", "--scopes", "write"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip()
    assert token.startswith("fck_")
    response = client.post(
        "/api/v1/articles", json=ARTICLE, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_keys_are_stored_hashed(runner: Any, app: Flask) -> None:
    runner.invoke(
        args=["create-org", "tribune", "--name", "T", "--url", "https://tribune.example/"]
    )
    token = runner.invoke(args=["create-api-key", "tribune"]).output.strip()
    from factcheck.storage.db import db
    from factcheck.storage.models import ApiKey

    with app.app_context():
        (key,) = db.session.query(ApiKey).all()
        assert token.split("_")[2] not in (key.secret_hash, key.prefix)
        assert key.scopes == "publish write"


def test_revoked_keys_fail_at_once(runner: Any, client: FlaskClient) -> None:
    runner.invoke(
        args=["create-org", "tribune", "--name", "T", "--url", "https://tribune.example/"]
    )
    token = runner.invoke(args=["create-api-key", "tribune"]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/articles", json=ARTICLE, headers=headers).status_code == 201
    revoked = runner.invoke(args=["revoke-api-key", token])
    assert revoked.exit_code == 0, revoked.output
    again = client.post("/api/v1/articles", json={**ARTICLE, "url": None}, headers=headers)
    assert again.status_code == 401


def test_unknown_scope_is_refused(runner: Any) -> None:
    runner.invoke(
        args=["create-org", "tribune", "--name", "T", "--url", "https://tribune.example/"]
    )
    result = runner.invoke(args=["create-api-key", "tribune", "--scopes", "admin"])
    assert result.exit_code != 0
    assert "scopes" in result.output


def test_duplicate_org_is_refused(runner: Any) -> None:
    args = ["create-org", "tribune", "--name", "T", "--url", "https://tribune.example/"]
    assert runner.invoke(args=args).exit_code == 0
    assert runner.invoke(args=args).exit_code != 0


def test_generate_adds_published_searchable_fact_checks(runner: Any, client: FlaskClient) -> None:
    result = runner.invoke(args=["generate", "--fact-checks", "12"])
    assert result.exit_code == 0, result.output
    assert "generated 12" in result.output
    listed = client.get("/api/v1/fact-checks", query_string={"status": "published"})
    assert listed.headers["X-Total-Count"] == "12"
    feed = client.get("/api/v1/feed", query_string={"pageSize": 100}).get_json()
    assert len(feed["dataFeedElement"]) == 12
    word = listed.get_json()[0]["claimReviewed"].split()[0]
    found = client.get("/api/v1/claims:search", query_string={"query": word}).get_json()
    assert found["claims"]
