"""Deny by default (issue 16, point 7): every route declares what it needs (a scope, any key, or
`public`), a route that declares nothing is closed, and every role is tried on every route: the
right role gets through, the others get 403, another organization's admin gets 404."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from factcheck.web import auth

from .conftest import FACT_CHECK, create_article, create_fact_check, make_app
from .desk import Desk, add_member, member_key, new_desk

ROLES = ("writer", "editor", "admin")
# The roles each declared requirement lets through (core/members.ROLES).
ALLOWED = {
    auth.PUBLIC: set(ROLES),
    auth.KEY: set(ROLES),
    "write": set(ROLES),
    "publish": {"editor", "admin"},
    "admin": {"admin"},
}
# Route arguments that name something of one organization: another's admin must not find it.
OWNED = {"slug", "article_id", "fact_check_id", "subscription_id", "member_id", "prefix", "page_id"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Bodies that pass validation, so that another organization's caller meets the ownership check
# (validation comes first: 422 would say nothing about it). Other routes get `{}`.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/articles/<id:article_id>/fact-checks"): FACT_CHECK,
    ("POST", "/api/v1/fact-checks/<id:fact_check_id>/reject"): {"comment": "Not yet."},
    ("POST", "/api/v1/fact-checks/<id:fact_check_id>/retract"): {"note": "Withdrawn."},
    ("POST", "/api/v1/organizations/<slug>/webhooks"): {
        "url": "https://hooks.example.org/in",
        "events": ["article.updated"],
    },
    ("POST", "/api/v1/organizations/<slug>/members"): {"name": "New", "role": "writer"},
    ("PUT", "/api/v1/organizations/<slug>/review-policy"): {"approvalRequired": False},
    ("POST", "/api/v1/organizations/<slug>/keys"): {"name": "cms", "scopes": ["write"]},
    ("PATCH", "/api/v1/organizations/<slug>"): {"name": "Desk Renamed"},
    ("POST", "/api/v1/organizations/<slug>/rating-scales"): {
        "worstRating": 1,
        "bestRating": 2,
        "labels": [
            {"ratingValue": 1, "alternateName": "No", "definition": "Not so."},
            {"ratingValue": 2, "alternateName": "Yes", "definition": "So."},
        ],
    },
}
# Routes whose other-organization check lives elsewhere, and why.
NOT_FOUND_ELSEWHERE = {
    # Google's page shape is validated before the page is looked up.
    ("PUT", "/v1alpha1/pages/<int(max=2147483647):page_id>"): "test_google_api.py, "
    "test_another_organizations_page_is_not_found",
}


def routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            yield rule, method


def test_every_route_declares_what_it_needs(app: Flask) -> None:
    undeclared = []
    with app.test_request_context():
        for rule, method in routes(app):
            declared = auth.requirement(rule.endpoint, method)
            if declared is None:
                undeclared.append(f"{method} {rule.rule}")
            else:
                assert declared in ALLOWED, f"{method} {rule.rule} declares {declared!r}"
    assert undeclared == []


def test_a_route_that_declares_nothing_is_closed(database_url: str) -> None:
    app = make_app(database_url, "")
    app.add_url_rule("/undeclared", "undeclared", lambda: "open")
    response = app.test_client().get("/undeclared")
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "declares no access" in response.get_json()["detail"]


def _targets(app: Flask, client: FlaskClient, desk: Desk) -> dict[str, Any]:
    """Values for every route argument: things of the desk that a route may change or delete
    without breaking the keys the test goes on using."""
    writer = desk.keys["writer"]
    article = create_article(client, writer).get_json()["id"]
    check = create_fact_check(client, writer, article).get_json()["id"]
    webhook = client.post(
        "/api/v1/organizations/desk/webhooks",
        json={"url": "https://hooks.example.org/in", "events": ["article.updated"]},
        headers=desk.tool,
    )
    assert webhook.status_code == 201, webhook.get_json()
    victim = add_member(client, desk.tool, "desk", "Victim", "writer")["id"]
    victim_key = member_key(client, desk.tool, "desk", victim)["Authorization"].split("_")[1]
    return {
        "slug": "desk",
        "article_id": article,
        "fact_check_id": check,
        "page_id": check,
        "subscription_id": webhook.get_json()["id"],
        "delivery_id": 999,
        "member_id": victim,
        "prefix": victim_key,
        "filename": "nothing.css",
        "version": 1,
    }


def _call(
    client: FlaskClient, method: str, path: str, key: dict[str, str] | None, body: Any = None
) -> int:
    headers = {"If-Match": "*", **(key or {})}
    if method != "GET" and body is None:
        body = {}
    response = client.open(path, method=method, json=body, headers=headers)
    response.close()
    return response.status_code


@pytest.fixture
def desks(app: Flask, client: FlaskClient) -> tuple[Desk, Desk, dict[str, Any]]:
    desk = new_desk(app, client)
    rival = new_desk(app, client, "rival")
    return desk, rival, _targets(app, client, desk)


def test_every_role_against_every_route(
    app: Flask, client: FlaskClient, desks: tuple[Desk, Desk, dict[str, Any]]
) -> None:
    desk, rival, targets = desks
    adapter = app.url_map.bind("factcheck.test")
    failures = []
    with app.test_request_context():
        table = [
            (rule, method, auth.requirement(rule.endpoint, method)) for rule, method in routes(app)
        ]
    for rule, method, declared in table:
        assert declared is not None
        values = {name: targets[name] for name in rule.arguments}
        path = adapter.build(rule.endpoint, values, method=method)
        where = f"{method} {rule.rule} ({declared})"
        body = BODIES.get((method, rule.rule))
        if declared == auth.PUBLIC:
            status = _call(client, method, path, None)
            if status in (401, 403):
                failures.append(f"{where}: anonymous got {status}")
            continue
        # Nothing changes before the allowed roles' turn: others' refusals first.
        if rule.arguments & OWNED and (method, rule.rule) not in NOT_FOUND_ELSEWHERE:
            status = _call(client, method, path, rival.keys["admin"], body)
            if status != 404:
                failures.append(f"{where}: another organization's admin got {status}")
        for role in sorted(set(ROLES) - ALLOWED[declared]):
            status = _call(client, method, path, desk.keys[role], body)
            if status != 403:
                failures.append(f"{where}: {role} got {status}, not 403")
        for role in sorted(ALLOWED[declared]):
            status = _call(client, method, path, desk.keys[role], body)
            if status in (401, 403):
                failures.append(f"{where}: {role} got {status}")
        if _call(client, method, path, None, body) != 401:
            failures.append(f"{where}: no key is not 401")
    assert failures == [], "\n".join(failures)
