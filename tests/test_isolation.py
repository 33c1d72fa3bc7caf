"""SPEC §4: another organization's key reads no drafts and changes nothing, on every route of the
OpenAPI document (a new route is walked too, or this test fails until it is)."""

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.core import keys
from factcheck.storage import store

from .conftest import FACT_CHECK, create_article, create_fact_check, publish
from .test_bad_input import dump

WRITE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = WRITE_METHODS | {"get", "head", "options"}
# A valid body per write route, so that a refusal can only be about whose object it is.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("patch", "/api/v1/articles/{article_id}"): {"author": "Rival"},
    ("post", "/api/v1/articles/{article_id}/fact-checks"): {
        **FACT_CHECK,
        "url": "https://rival.example.org/checks/1",
    },
    ("patch", "/api/v1/fact-checks/{fact_check_id}"): {"reviewBody": "Rival wording."},
    ("post", "/api/v1/fact-checks/{fact_check_id}/retract"): {"note": "Rival retraction."},
    ("post", "/api/v1/organizations/{slug}/webhooks"): {
        "url": "https://rival.example.org/hook",
        "events": ["fact_check.published"],
    },
    ("patch", "/api/v1/organizations/{slug}/webhooks/{subscription_id}"): {"enabled": False},
    ("post", "/api/v1/fact-checks/{fact_check_id}/reject"): {"comment": "Rival comment."},
    ("patch", "/api/v1/organizations/{slug}"): {"name": "Rival Desk"},
    ("post", "/api/v1/organizations/{slug}/rating-scales"): {
        "worstRating": 1,
        "bestRating": 2,
        "labels": [
            {"ratingValue": 1, "alternateName": "No", "definition": "Rival's no."},
            {"ratingValue": 2, "alternateName": "Yes", "definition": "Rival's yes."},
        ],
    },
}
# The desk's administration: its admins' alone, so every stranger is refused.
ADMIN_PATHS = ("/webhooks", "/members", "/keys", "/audit-log", "/review-policy")


# Collection reads that need a query ask for the words the desk's drafts share with its
# published fact-check: the answer may show the published one, never a draft.
QUERIES = {
    "/api/v1/claims:search": {"query": "inflation halved"},
    "/api/v1/fact-checks/match": {"text": FACT_CHECK["quote"]},
}


@pytest.fixture
def world(app: Flask, client: FlaskClient, writer: dict[str, str]) -> dict[str, Any]:
    """The desk's objects: a private article (drafts only), a public one with a published check
    and a draft beside it."""
    private = create_article(client, writer, url="https://news.example.com/private").get_json()
    public = create_article(client, writer, url="https://news.example.com/public").get_json()
    draft = create_fact_check(client, writer, private["id"]).get_json()
    sibling = create_fact_check(
        client, writer, public["id"], url="https://desk.example.org/checks/sibling"
    ).get_json()
    shown = create_fact_check(client, writer, public["id"])
    assert publish(client, writer, shown).status_code == 200
    webhook = _desk_webhook(app, client)
    return {
        # Admin routes are the organization's admins' alone: every stranger is refused.
        "webhooks": {
            "slug": "desk",
            "subscription_id": webhook["id"],
            "delivery_id": webhook["delivery_id"],
            "member_id": 1,
            "prefix": "000000000000",
        },
        "article_id": {"private": private["id"], "public": public["id"]},
        "fact_check_id": {
            "draft": draft["id"],
            "draft-beside-published": sibling["id"],
            "published": shown.get_json()["id"],
        },
        "slug": {"public": "desk"},
        "private_ids": {
            ("article", private["id"]),
            ("fact-check", draft["id"]),
            ("fact-check", sibling["id"]),
        },
        "draft_urls": [draft["url"], sibling["url"], private["url"]],
    }


def _desk_webhook(app: Flask, client: FlaskClient) -> dict[str, Any]:
    with app.app_context():
        desk = store.organization_by_slug("desk")
        assert desk is not None
        admin = {
            "Authorization": "Bearer " + keys.issue(desk.id, "admin", frozenset({"admin", "write"}))
        }
    base = "/api/v1/organizations/desk/webhooks"
    hook = {"url": "https://hooks.example.org/", "events": ["article.updated"]}
    created = client.post(base, json=hook, headers=admin).get_json()
    article = create_article(client, admin, url="https://news.example.com/hooked")
    client.patch(
        f"/api/v1/articles/{article.get_json()['id']}",
        json={"author": "Desk"},
        headers={**admin, "If-Match": article.headers["ETag"]},
    )
    deliveries = client.get(f"{base}/{created['id']}/deliveries", headers=admin).get_json()
    return {"id": created["id"], "delivery_id": deliveries[0]["id"]}


def operations(client: FlaskClient) -> list[tuple[str, str]]:
    spec = client.get("/api/openapi.json").get_json()
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


def targets(world: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """(concrete path, kind) for each desk object the templated path can name."""
    names = re.findall(r"{(\w+)}", path)
    if any(part in path for part in ADMIN_PATHS):
        concrete = path
        for name in names:
            concrete = concrete.replace("{" + name + "}", str(world["webhooks"][name]))
        return [(concrete, "admin")]
    if path.startswith("/api/v1/organizations/{slug}"):
        # The organization and its rating scales: public to read, its admins' alone to change.
        return [(path.replace("{slug}", "desk").replace("{version}", "1"), "organization")]
    if not names:
        return [(path, "collection")]
    if len(names) > 1 or names[0] not in world:
        pytest.fail(f"{path}: teach this test which objects {names} can name")
    name = names[0]
    return [
        (path.replace("{" + name + "}", str(value)), kind) for kind, value in world[name].items()
    ]


def is_private(kind: str) -> bool:
    return kind in {"private", "draft", "draft-beside-published"}


def leaked_ids(response: Any, private_ids: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Private desk objects that appear anywhere in a JSON answer."""
    found: set[tuple[str, int]] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            kind = "fact-check" if "claimReviewed" in value else "article"
            if (kind, value.get("id")) in private_ids:
                found.add((kind, value["id"]))
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    try:
        walk(json.loads(response.get_data()))
    except ValueError:
        pass
    return found


@pytest.mark.parametrize("stranger", ["rival", "anonymous"])
def test_strangers_read_no_drafts_and_change_nothing_on_any_route(
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    rival: dict[str, str],
    world: dict[str, Any],
    stranger: str,
) -> None:
    credentials = rival if stranger == "rival" else {}
    refused_write = 404 if stranger == "rival" else 401
    walked = operations(client)
    # The owner reads everything first, so that a cache filled by the owner cannot leak either.
    for method, path in walked:
        if method == "get":
            for concrete, _ in targets(world, path):
                client.get(concrete, headers=writer, query_string=QUERIES.get(path))
    before = dump(app)
    wrong: list[str] = []
    collection_posts = []
    for method, path in walked:
        for concrete, kind in targets(world, path):
            if method == "post" and kind == "collection":
                collection_posts.append(concrete)
                continue
            headers = {**credentials, "If-Match": "*"}
            body = BODIES.get((method, path))
            response = client.open(
                concrete,
                method=method.upper(),
                json=body,
                headers=headers,
                query_string=QUERIES.get(path),
            )
            status = response.status_code
            if "/imports" in concrete or "/exports/" in concrete:
                # A key of the organization's own, whatever the method: a rival's is not let in.
                expected = {refused_write}
            elif kind == "admin" or (kind == "organization" and method in WRITE_METHODS):
                # No admin scope (403) or no key (401), before whose objects are looked at.
                expected = {403 if stranger == "rival" else 401}
            elif method in WRITE_METHODS:
                expected = {refused_write}
            elif is_private(kind):
                expected = {404}
            else:
                expected = {200}
            if status not in expected:
                wrong.append(f"{method.upper()} {concrete} ({kind}): {status}, want {expected}")
            if leaked := leaked_ids(response, world["private_ids"]):
                wrong.append(f"{method.upper()} {concrete} shows private ids {leaked}")
    assert wrong == []
    assert dump(app) == before

    # Lists filtered to the desk's drafts find nothing either.
    for query in [{"status": "draft"}, *({"url": url} for url in world["draft_urls"] if url)]:
        for listing in ("/api/v1/fact-checks", "/api/v1/articles"):
            response = client.get(listing, query_string=query, headers=credentials)
            if response.status_code == 200:
                assert not leaked_ids(response, world["private_ids"]), (listing, query)

    # A POST to a collection acts for the stranger's own organization, never the desk.
    for path in collection_posts:
        response = client.post(
            path, json={"headline": "Rival story", "inLanguage": "en"}, headers=credentials
        )
        if stranger == "rival":
            assert response.status_code == 201
            assert response.get_json()["organization"] == "rival"
        else:
            assert response.status_code == 401
