"""Security headers on every response (issue 12 point 7): every route of the URL map, every method,
with and without a key, and the error responses; HSTS over https through a trusted proxy only."""

from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from .conftest import create_article, create_fact_check

SAFE = {"GET", "HEAD", "OPTIONS"}
EMBEDS = {"pages.fact_check_embed"}
FILES = {"static": "pages.css", "docs.static": "swagger-ui.css"}


def security_failures(response: Any, endpoint: str, method: str, keyed: bool) -> list[str]:
    """What is missing from one response; empty when it carries every header it should."""
    headers = response.headers
    failures = []
    if headers.get("X-Content-Type-Options") != "nosniff":
        failures.append("no nosniff")
    csp = headers.get("Content-Security-Policy", "")
    if endpoint in EMBEDS and method in {"GET", "HEAD"} and response.status_code < 400:
        if "X-Frame-Options" in headers or "frame-ancestors *" not in csp:
            failures.append(f"embed not frameable: {csp!r}")
    elif headers.get("X-Frame-Options") != "DENY" or "frame-ancestors 'none'" not in csp:
        failures.append(f"frameable: {csp!r} {headers.get('X-Frame-Options')!r}")
    cache_control = headers.get("Cache-Control", "")
    if method not in SAFE and cache_control != "no-store":
        failures.append(f"write with Cache-Control {cache_control!r}")
    if (
        method in SAFE
        and keyed
        and not (cache_control == "no-store" or cache_control.startswith("public"))
    ):
        failures.append(f"keyed read with Cache-Control {cache_control!r}")
    return failures


def path_for(rule: Rule, ids: dict[str, int]) -> str:
    # A page of Google's API is named by its lowest fact-check id. Webhook ids need not exist:
    # the routes refuse a key without the admin scope first.
    values: dict[str, Any] = {
        "slug": "example-desk",
        "page_id": ids["fact_check_id"],
        "subscription_id": 1,
        "delivery_id": 1,
        "member_id": 1,
        "prefix": "000000000000",
        # Every organization has version 1 of its rating scale.
        "version": 1,
        **ids,
    }
    if "filename" in rule.arguments:
        values["filename"] = FILES[rule.endpoint]
    path = rule.build({name: values[name] for name in rule.arguments})
    assert path is not None
    query = {
        "search.ClaimSearch": "?query=china",
        "search.FactCheckMatch": "?text=Beijing%20knew",
        "pages.oembed": "?format=json&url="
        + quote(f"http://factcheck.test/fact-checks/{ids['fact_check_id']}"),
    }
    return path[1] + query.get(rule.endpoint, "")


@pytest.fixture
def targets(client: FlaskClient, seeded: list[str], writer: dict[str, str]) -> dict[str, Any]:
    """A published fact-check and its article for anonymous requests, a draft for keyed ones."""
    published = client.get("/api/v1/fact-checks?status=published&pageSize=1").get_json()[0]
    article = create_article(client, writer).get_json()
    draft = create_fact_check(client, writer, article["id"]).get_json()
    return {
        "public": {"fact_check_id": published["id"], "article_id": published["articleId"]},
        "draft": {"fact_check_id": draft["id"], "article_id": article["id"]},
    }


def test_every_route_and_method_carries_the_security_headers(
    app: Flask, client: FlaskClient, writer: dict[str, str], targets: dict[str, Any]
) -> None:
    failures: list[str] = []
    seen = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods or ()):
            for keyed in (False, True):
                ids = targets["draft" if keyed else "public"]
                path = path_for(rule, ids)
                # Writes send no If-Match or body: answered 4xx, nothing changes, headers all the
                # same (the walk must not retract the fact-check the next rule reads).
                response = client.open(path, method=method, headers=writer if keyed else {})
                response.close()  # static files are streamed from an open file
                seen += 1
                for failure in security_failures(response, rule.endpoint, method, keyed):
                    failures.append(f"{method} {path} ({response.status_code}): {failure}")
    assert seen > 100
    assert failures == []


def test_reads_of_a_draft_are_no_store(
    client: FlaskClient, writer: dict[str, str], targets: dict[str, Any]
) -> None:
    draft = targets["draft"]["fact_check_id"]
    for path in (
        f"/api/v1/fact-checks/{draft}",
        f"/api/v1/fact-checks/{draft}/claimreview",
        f"/api/v1/fact-checks/{draft}/revisions",
        "/api/v1/fact-checks?status=draft",
        f"/api/v1/articles/{targets['draft']['article_id']}",
    ):
        response = client.get(path, headers=writer)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_public_documents_stay_shareable(
    client: FlaskClient, writer: dict[str, str], targets: dict[str, Any]
) -> None:
    published = targets["public"]["fact_check_id"]
    for headers in ({}, writer):
        response = client.get(f"/api/v1/fact-checks/{published}/claimreview", headers=headers)
        assert response.headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/no/such/page", {}, 404),
        ("GET", "/api/v1/fact-checks/2147483648", {}, 404),
        ("DELETE", "/api/v1/feed", {}, 405),
        ("POST", "/api/v1/articles", {"data": b"x" * (1024 * 1024 + 1)}, 413),
        ("POST", "/api/v1/articles", {"json": {"headline": 1}}, 422),
        ("GET", "/api/v1/claims:search?pageSize=0", {}, 400),
        ("PATCH", "/api/v1/articles/1", {"json": {}}, 428),
    ],
)
def test_error_responses_carry_them_too(
    client: FlaskClient,
    writer: dict[str, str],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    headers = {**writer, "Content-Type": "application/json"} if method != "GET" else {}
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert security_failures(response, "", method, bool(headers)) == []


def test_hsts_only_over_https(app: Flask, client: FlaskClient) -> None:
    secure = client.get("/healthz", base_url="https://factcheck.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    app.config["HSTS_MAX_AGE"] = 0
    assert "Strict-Transport-Security" not in (
        client.get("/healthz", base_url="https://factcheck.test").headers
    )
    # Through the production server, behind a trusted proxy or not: tests/test_server.py.


@pytest.mark.parametrize(
    ("path", "base"),
    [
        ("/api/v1/fact-checks?pageSize=2&status=published", "/api/v1/fact-checks?"),
        ("/api/v1/articles/1/fact-checks?pageSize=2", "/api/v1/articles/1/fact-checks?"),
        ("/api/v1/feed?pageSize=2", "/api/v1/feed?"),
    ],
)
def test_link_headers_are_built_on_site_url_not_the_host(
    client: FlaskClient, seeded: list[str], path: str, base: str
) -> None:
    article = client.get("/api/v1/fact-checks?pageSize=1").get_json()[0]["articleId"]
    path, base = path.replace("/1/", f"/{article}/"), base.replace("/1/", f"/{article}/")
    response = client.get(
        path, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    )
    links = response.headers["Link"].split(", ")
    assert links and all(link.startswith(f"<http://factcheck.test{base}") for link in links), links
