"""Webhook subscriptions through the API: admin keys only, the secret shown once, If-Match on
changes, and events written to the outbox in the write's own transaction."""

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.schemas.webhooks import EVENTS

from .conftest import FACT_CHECK, create_article, create_fact_check, new_organization, publish

HOOK = {"url": "https://hooks.example.org/in", "events": ["fact_check.published"]}


@pytest.fixture
def app(app: Flask, tmp_path: Path) -> Any:
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    return app


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    return new_organization(app, "desk", "write publish admin")


def subscribe(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    return client.post(
        "/api/v1/organizations/desk/webhooks", json={**HOOK, **fields}, headers=headers
    )


def test_an_admin_subscribes_and_sees_the_secret_once(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    created = subscribe(client, admin)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["fact_check.published"]
    shown = client.get(created.headers["Location"], headers=admin)
    assert shown.status_code == 200
    assert "secret" not in shown.get_json()
    listed = client.get("/api/v1/organizations/desk/webhooks", headers=admin).get_json()
    assert [hook["id"] for hook in listed] == [body["id"]]
    assert "secret" not in listed[0]


def test_a_key_without_admin_is_forbidden(client: FlaskClient, writer: dict[str, str]) -> None:
    response = subscribe(client, writer)
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"


def test_another_organizations_webhooks_are_not_found(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    other = new_organization(app, "rival", "admin")
    assert subscribe(client, other).status_code == 404
    assert client.get("/api/v1/organizations/desk/webhooks", headers=other).status_code == 404


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"url": "http://hooks.example.org/in"}, "/url"),
        ({"events": ["fact_check.deleted"]}, "events"),
        ({"events": []}, "events"),
    ],
)
def test_bad_subscriptions_are_refused(
    client: FlaskClient, admin: dict[str, str], fields: dict[str, Any], pointer: str
) -> None:
    response = subscribe(client, admin, **fields)
    assert response.status_code == 422
    assert pointer in response.get_data(as_text=True)


def test_changes_need_if_match(client: FlaskClient, admin: dict[str, str]) -> None:
    created = subscribe(client, admin)
    location = created.headers["Location"]
    assert client.patch(location, json={"enabled": False}, headers=admin).status_code == 428
    stale = {**admin, "If-Match": '"webhook-1-v0"'}
    assert client.patch(location, json={"enabled": False}, headers=stale).status_code == 412
    changed = client.patch(
        location, json={"enabled": False}, headers={**admin, "If-Match": created.headers["ETag"]}
    )
    assert changed.status_code == 200
    assert changed.get_json()["enabled"] is False
    assert client.delete(location, headers=admin).status_code == 428
    gone = client.delete(location, headers={**admin, "If-Match": changed.headers["ETag"]})
    assert gone.status_code == 204
    assert client.get(location, headers=admin).status_code == 404


def test_publishing_writes_a_delivery_and_redelivery_adds_one(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    hook = subscribe(client, admin, events=["fact_check.published", "fact_check.updated"])
    deliveries = hook.headers["Location"] + "/deliveries"
    article = create_article(client, admin)
    check = create_fact_check(client, admin, article.get_json()["id"])
    assert client.get(deliveries, headers=admin).get_json() == []
    assert publish(client, admin, check).status_code == 200
    log = client.get(deliveries, headers=admin).get_json()
    assert [(entry["status"], entry["attempts"]) for entry in log] == [("pending", 0)]
    again = client.post(f"{deliveries}/{log[0]['id']}/redeliver", headers=admin)
    assert again.status_code == 202
    assert again.get_json()["eventId"] == log[0]["eventId"]
    assert len(client.get(deliveries, headers=admin).get_json()) == 2


def test_each_change_is_its_event(client: FlaskClient, admin: dict[str, str]) -> None:
    hook = subscribe(client, admin, events=list(EVENTS))
    article = create_article(client, admin)
    check = create_fact_check(client, admin, article.get_json()["id"])
    path = f"/api/v1/fact-checks/{check.get_json()['id']}"
    star = {**admin, "If-Match": "*"}
    edited = client.patch(path, json={"reviewBody": "Fuller."}, headers=star)
    assert edited.status_code == 200
    assert publish(client, admin, edited).status_code == 200
    rating = {**FACT_CHECK["rating"], "ratingValue": 1, "alternateName": "False"}
    corrected = {"rating": rating, "correction": "New figures."}
    assert client.patch(path, json=corrected, headers=star).status_code == 200
    retracted = client.post(f"{path}/retract", json={"note": "Withdrawn."}, headers=star)
    assert retracted.status_code == 200
    article_path = f"/api/v1/articles/{article.get_json()['id']}"
    assert client.patch(article_path, json={"author": "Desk"}, headers=star).status_code == 200
    log = client.get(hook.headers["Location"] + "/deliveries", headers=admin).get_json()
    assert [entry["eventType"] for entry in reversed(log)] == [
        "fact_check.updated",
        "fact_check.published",
        "fact_check.corrected",
        "fact_check.retracted",
        "article.updated",
    ]


def test_a_subscription_hears_every_change_from_the_one_after_it_is_enabled(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    """A change of a fact-check reads whether its organization listens in its own SELECT of the
    fact-check, and the outbox reads no more when nobody does: nothing is remembered from one
    write to the next, so the write after the subscription is enabled is told."""
    hook = subscribe(client, admin, events=["fact_check.updated"], enabled=False)
    article = create_article(client, admin)
    check = create_fact_check(client, admin, article.get_json()["id"])
    path, star = f"/api/v1/fact-checks/{check.get_json()['id']}", {**admin, "If-Match": "*"}
    assert client.patch(path, json={"reviewBody": "One."}, headers=star).status_code == 200
    deliveries = hook.headers["Location"] + "/deliveries"
    assert client.get(deliveries, headers=admin).get_json() == []
    enabled = client.patch(
        hook.headers["Location"], json={"enabled": True}, headers={**admin, "If-Match": "*"}
    )
    assert enabled.status_code == 200
    assert client.patch(path, json={"reviewBody": "Two."}, headers=star).status_code == 200
    log = client.get(deliveries, headers=admin).get_json()
    assert [entry["eventType"] for entry in log] == ["fact_check.updated"]


def test_a_failed_write_leaves_no_event(client: FlaskClient, admin: dict[str, str]) -> None:
    hook = subscribe(client, admin)
    article = create_article(client, admin)
    check = create_fact_check(client, admin, article.get_json()["id"], rating=None)
    # Without a rating the profile refuses publication: the write and its event roll back.
    assert publish(client, admin, check).status_code == 422
    assert client.get(hook.headers["Location"] + "/deliveries", headers=admin).get_json() == []


def test_the_openapi_document_has_the_routes(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/organizations/{slug}/webhooks/{subscription_id}/deliveries" in paths
