import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import ARTICLE, SEEDS


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
    result = runner.invoke(args=["create-api-key", "tribune", "--scopes", "superuser"])
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


# --- operator input is checked like API input ------------------------------------------------

NOT_HTTP = ["javascript:alert(document.domain)", "ftp://files.example/", "not a url", "https://"]
CONTROL = "Desk\x07Checks"


def api_messages(client: FlaskClient, headers: dict[str, str], **article: Any) -> list[str]:
    """What the API answers for the same value in an article's field."""
    response = client.post("/api/v1/articles", json={**ARTICLE, **article}, headers=headers)
    assert response.status_code == 422
    return [error["detail"] for error in response.get_json()["errors"]]


@pytest.mark.parametrize("url", NOT_HTTP)
def test_create_org_refuses_what_the_api_refuses_with_its_messages(
    runner: Any, client: FlaskClient, writer: dict[str, str], url: str
) -> None:
    result = runner.invoke(args=["create-org", "tribune", "--name", "Tribune", "--url", url])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--url'" in result.output
    for message in api_messages(client, writer, url=url):
        assert message in result.output
    assert client.get("/api/v1/organizations/tribune").status_code == 404


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["tribune", "--name", CONTROL], "--name", None),
        (["tribune", "--name", "x" * 201], "--name", "Length must be between 1 and 200."),
        (["tribune", "--name", ""], "--name", "Length must be between 1 and 200."),
        (["Tribune Desk", "--name", "T"], "SLUG", "Lower-case letters and digits"),
        (["../admin", "--name", "T"], "SLUG", "Lower-case letters and digits"),
        (["x" * 65, "--name", "T"], "SLUG", "Length must be between 1 and 64."),
    ],
    ids=["control-character", "too-long", "empty", "spaces", "path", "slug-too-long"],
)
def test_create_org_checks_lengths_and_characters(
    runner: Any,
    client: FlaskClient,
    writer: dict[str, str],
    args: list[str],
    option: str,
    message: str | None,
) -> None:
    result = runner.invoke(args=["create-org", *args, "--url", "https://tribune.example/"])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    expected = [message] if message else api_messages(client, writer, headline=CONTROL)
    for text in expected:
        assert text in result.output
    slug = args[0]
    assert runner.invoke(args=["create-api-key", slug]).exit_code != 0, "nothing was created"


def test_create_api_key_checks_the_name(
    runner: Any, client: FlaskClient, writer: dict[str, str]
) -> None:
    runner.invoke(
        args=["create-org", "tribune", "--name", "T", "--url", "https://tribune.example/"]
    )
    result = runner.invoke(args=["create-api-key", "tribune", "--name", CONTROL])
    assert result.exit_code == 2, result.output
    (message,) = api_messages(client, writer, headline=CONTROL)
    assert f"Invalid value for '--name': {message}" in result.output


def test_generate_checks_the_organization_slug(runner: Any) -> None:
    result = runner.invoke(args=["generate", "--fact-checks", "1", "--org", "a/b"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--org'" in result.output


def test_the_seed_is_checked_too(runner: Any, tmp_path: Any) -> None:
    bundle = json.loads((SEEDS / "trt-world-2022-03-17.json").read_text())
    bundle["organization"]["url"] = "javascript:alert(1)"
    (tmp_path / "bad.json").write_text(json.dumps(bundle))
    result = runner.invoke(args=["seed", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "Not an absolute http(s) URL." in result.output
