"""Importing ClaimReview JSON-LD: POST /api/v1/organizations/{slug}/imports and
`flask import-claimreviews`. Idempotent by url; an invalid ClaimReview refuses all of it."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.storage import store
from factcheck.storage.db import db
from factcheck.storage.models import Correction, FactCheck

from .conftest import new_organization

IMPORTS = "/api/v1/organizations/desk/imports"
DESK = {"@type": "Organization", "name": "Desk Checks", "url": "https://desk.example.org/"}


def claimreview(number: int, author: dict[str, Any] = DESK, **changes: Any) -> dict[str, Any]:
    """A ClaimReview as this service renders one, less what the server owns (datePublished,
    dateModified, correction, sdLicense). Two claims share each article."""
    article = {
        "@type": "NewsArticle",
        "url": f"https://news.example.com/story-{number // 2}",
        "headline": f"Story {number // 2}",
        "datePublished": "2024-05-02",
        "publisher": {
            "@type": "Organization",
            "name": "Example News",
            "url": "https://news.example.com/",
        },
    }
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://desk.example.org/checks/{number}",
        "claimReviewed": f"Claim number {number} about wages",
        "author": author,
        "inLanguage": "en",
        "reviewBody": f"The record shows otherwise, case {number}.",
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 2,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Mostly false",
            "ratingExplanation": "Checked against the record.",
        },
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": f"Claimant {number % 7}"},
            "datePublished": "2024-05-01",
            "appearance": [article],
            "firstAppearance": article,
        },
        "citation": [
            {
                "@type": "CreativeWork",
                "url": f"https://stats.example.gov/table-{number}",
                "name": "Official statistics",
            }
        ],
    }
    document.update(changes)
    return document


def post(
    client: FlaskClient, headers: dict[str, str], body: Any, **query: str
) -> Any:  # the test client's response
    return client.post(
        IMPORTS,
        data=json.dumps(body),
        query_string=query,
        headers={**headers, "Content-Type": "application/ld+json"},
    )


def fact_check_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(FactCheck).count()


def test_a_claimreview_is_created_published_and_served(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    response = post(client, writer, claimreview(1))
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["applied"] is True and report["dryRun"] is False
    assert report["counts"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "invalid": 0,
    }
    [item] = report["items"]
    assert item["result"] == "created" and item["url"] == "https://desk.example.org/checks/1"
    served = client.get(f"/api/v1/fact-checks/{item['factCheckId']}/claimreview").get_json()
    assert served["claimReviewed"] == "Claim number 1 about wages"
    assert served["reviewRating"]["alternateName"] == "Mostly false"
    assert served["itemReviewed"]["appearance"][0]["headline"] == "Story 0"
    feed = client.get("/api/v1/feed").get_json()
    assert [element["item"]["url"] for element in feed["dataFeedElement"]] == [served["url"]]


def test_importing_again_is_unchanged_and_a_change_is_a_correction(
    client: FlaskClient, writer: dict[str, str], app: Flask
) -> None:
    assert post(client, writer, [claimreview(1), claimreview(2)]).status_code == 200
    again = post(client, writer, [claimreview(1), claimreview(2)]).get_json()
    assert [item["result"] for item in again["items"]] == ["unchanged", "unchanged"]
    assert again["applied"] is False

    rating = {**claimreview(2)["reviewRating"], "ratingValue": 1, "alternateName": "False"}
    changed = post(client, writer, [claimreview(1), claimreview(2, reviewRating=rating)])
    items = changed.get_json()["items"]
    assert [item["result"] for item in items] == ["unchanged", "updated"]
    assert items[1]["reason"] == "Changed: rating."
    check = client.get(f"/api/v1/fact-checks/{items[1]['factCheckId']}").get_json()
    assert check["rating"]["alternateName"] == "False"
    assert [c["note"] for c in check["corrections"]] == ["Updated by an import: rating."]
    with app.app_context():
        assert db.session.query(Correction).count() == 1

    # The review's prose is not what readers are told a correction is about: no note.
    prose = post(client, writer, [claimreview(1, reviewBody="Better said.")]).get_json()
    assert prose["items"][0]["result"] == "updated"
    with app.app_context():
        assert db.session.query(Correction).count() == 1


def feed_of(*reviews: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [
            {"@type": "DataFeedItem", "item": reviews[0]},
            reviews[1],
            {"@type": "DataFeedItem", "dateDeleted": "2024-06-01T00:00:00+00:00"},
        ],
    }


GOOGLE_PAGE = {
    "pageUrl": "https://desk.example.org/checks/page",
    "claimReviewAuthor": {"name": "Desk Checks"},
    "claimReviewMarkups": [
        {
            "claimReviewed": "Wages doubled",
            "claimAppearances": ["https://news.example.com/wages"],
            "claimAuthor": {"name": "The Minister"},
            "claimDate": "2024-05-01",
            "rating": {
                "textualRating": "False",
                "ratingValue": 1,
                "bestRating": 5,
                "worstRating": 1,
            },
        },
        {
            "claimReviewed": "Rents fell",
            "rating": {"textualRating": "Unproven"},
        },
    ],
}


@pytest.mark.parametrize(
    ("body", "results"),
    [
        (claimreview(1), ["created"]),
        ([claimreview(1), claimreview(2)], ["created", "created"]),
        (feed_of(claimreview(1), claimreview(2)), ["created", "created", "skipped"]),
        ([GOOGLE_PAGE], ["created", "created"]),
        ({"claimReviewMarkupPages": [GOOGLE_PAGE]}, ["created", "created"]),
    ],
    ids=["one", "array", "datafeed", "google-pages", "google-list"],
)
def test_every_supported_shape_is_imported(
    client: FlaskClient, writer: dict[str, str], body: Any, results: list[str]
) -> None:
    response = post(client, writer, body)
    assert response.status_code == 200, response.get_json()
    assert [item["result"] for item in response.get_json()["items"]] == results


def test_google_markups_cite_their_page_and_get_the_scales_numbers(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    items = post(client, writer, GOOGLE_PAGE).get_json()["items"]
    first = client.get(f"/api/v1/fact-checks/{items[0]['factCheckId']}").get_json()
    assert first["url"] == "https://desk.example.org/checks/page#claim-1"
    assert first["evidence"][0]["url"] == first["url"]
    assert first["claimAuthor"] == {"name": "The Minister", "type": "Person"}
    second = client.get(f"/api/v1/fact-checks/{items[1]['factCheckId']}").get_json()
    assert second["rating"]["alternateName"] == "Unproven"
    assert second["rating"]["ratingValue"] is None


def test_a_label_alone_takes_its_number_from_the_scale(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    rating = {"@type": "Rating", "alternateName": "Half true"}
    [item] = post(client, writer, claimreview(1, reviewRating=rating)).get_json()["items"]
    check = client.get(f"/api/v1/fact-checks/{item['factCheckId']}").get_json()
    assert (check["rating"]["ratingValue"], check["rating"]["bestRating"]) == (3, 5)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"author": {"@type": "Organization", "name": "Rival", "url": "https://rival.example/"}},
            "By another author (Rival), not Desk Checks.",
        ),
        (
            {"reviewRating": {"alternateName": "Pants on fire"}},
            "The rating is not on the organization's scale:",
        ),
        (
            {
                "reviewRating": {
                    "alternateName": "False",
                    "ratingValue": 1,
                    "bestRating": 7,
                    "worstRating": 1,
                }
            },
            "The rating is not on the organization's scale: The organization's scale has "
            "bestRating 5.",
        ),
    ],
    ids=["foreign-author", "unknown-label", "other-scale"],
)
def test_what_is_not_the_organizations_is_skipped_and_said(
    client: FlaskClient, writer: dict[str, str], change: dict[str, Any], reason: str
) -> None:
    response = post(client, writer, [claimreview(1), claimreview(2, **change)])
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [item["result"] for item in items] == ["created", "skipped"]
    assert items[1]["reason"].startswith(reason)


def test_an_invalid_claimreview_refuses_the_whole_import(
    client: FlaskClient, writer: dict[str, str], app: Flask
) -> None:
    bad_citation = claimreview(2, citation=[{"url": "javascript:alert(1)"}])
    bad_claimant = claimreview(3)
    bad_claimant["itemReviewed"] = {**bad_claimant["itemReviewed"], "author": {"name": ""}}
    body = [claimreview(1), bad_citation, bad_claimant, {"@type": "Person"}]
    response = post(client, writer, body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "nothing was imported" in problem["detail"]
    pointers = {error["pointer"] for error in problem["errors"]}
    assert pointers == {"/1/citation/0/url", "/2/itemReviewed/author/name", "/3"}
    assert fact_check_count(app) == 0


def test_an_unsupported_document_is_refused(client: FlaskClient, writer: dict[str, str]) -> None:
    for body in ({"@type": "NewsArticle"}, "ClaimReview", 3):
        response = post(client, writer, body)
        assert response.status_code == 422, body
        assert response.get_json()["errors"] == [
            {"pointer": "", "detail": "Not JSON-LD of a supported shape."}
        ]


def test_the_same_url_twice_in_one_import_is_invalid(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    twice = claimreview(1, claimReviewed="Another summary")
    response = post(client, writer, [claimreview(1), twice])
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/1/url"


def test_a_dry_run_reports_and_changes_nothing(
    client: FlaskClient, writer: dict[str, str], app: Flask
) -> None:
    response = post(client, writer, [claimreview(1), claimreview(2)], dryRun="true")
    assert response.status_code == 200
    report = response.get_json()
    assert report["dryRun"] is True and report["applied"] is False
    assert report["counts"]["created"] == 2
    assert [item["factCheckId"] for item in report["items"]] == [None, None]
    assert fact_check_count(app) == 0
    assert client.get("/api/v1/feed").get_json()["dataFeedElement"] == []


def test_a_retracted_fact_check_is_not_brought_back(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    [item] = post(client, writer, claimreview(1)).get_json()["items"]
    url = f"/api/v1/fact-checks/{item['factCheckId']}"
    retracted = client.post(
        f"{url}/retract", json={"note": "Wrong"}, headers={**writer, "If-Match": "*"}
    )
    assert retracted.status_code == 200, retracted.get_json()
    [again] = post(client, writer, claimreview(1)).get_json()["items"]
    assert again["result"] == "skipped" and again["reason"].startswith("Retracted here")


@pytest.mark.parametrize(("scopes", "status"), [("write", 403), ("publish", 403), ("admin", 403)])
def test_an_import_needs_write_and_publish(
    client: FlaskClient, app: Flask, scopes: str, status: int
) -> None:
    new_organization(app, "desk", scopes)
    headers = new_organization(app, "other", scopes)
    assert post(client, headers, claimreview(1)).status_code == status


def test_without_a_key_401_and_another_organizations_404(
    client: FlaskClient, writer: dict[str, str], rival: dict[str, str]
) -> None:
    unauthenticated = post(client, {}, claimreview(1))
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")
    assert post(client, rival, claimreview(1)).status_code == 404


def test_bad_bodies(client: FlaskClient, writer: dict[str, str]) -> None:
    as_text = client.post(IMPORTS, data="{}", headers={**writer, "Content-Type": "text/plain"})
    assert as_text.status_code == 415
    broken = client.post(IMPORTS, data="[{", headers={**writer, "Content-Type": "application/json"})
    assert broken.status_code == 400
    assert post(client, writer, [], dryRun="maybe").status_code == 400


def test_limits_of_an_import(client: FlaskClient, writer: dict[str, str], app: Flask) -> None:
    app.config.update(IMPORT_MAX_ITEMS=2, IMPORT_MAX_BYTES=8192)
    three = post(client, writer, [claimreview(1), claimreview(2), claimreview(3)])
    assert three.status_code == 422
    assert "at most 2 are taken at once" in three.get_json()["detail"]
    too_big = post(client, writer, [claimreview(1, reviewBody="x" * 9000)])
    assert too_big.status_code == 413
    assert too_big.mimetype == "application/problem+json"
    assert fact_check_count(app) == 0


def test_the_cli_imports_a_file_and_reports(
    runner: Any, app: Flask, writer: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "claims.jsonld"
    foreign = claimreview(3, author={"@type": "Organization", "name": "Rival"})
    path.write_text(json.dumps([claimreview(1), claimreview(2), foreign]))
    dry = runner.invoke(args=["import-claimreviews", str(path), "--org", "desk", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be created 2" in dry.output
    assert fact_check_count(app) == 0
    done = runner.invoke(args=["import-claimreviews", str(path), "--org", "desk"])
    assert done.exit_code == 0, done.output
    assert "skipped /2 https://desk.example.org/checks/3: By another author" in done.output
    assert "created 2, updated 0, unchanged 0, skipped 1, invalid 0" in done.output
    bad = copy.deepcopy([claimreview(4)])
    bad[0]["url"] = "ftp://desk.example.org/4"
    path.write_text(json.dumps(bad))
    refused = runner.invoke(args=["import-claimreviews", str(path), "--org", "desk"])
    assert refused.exit_code == 1
    assert "invalid /0/url:" in refused.output
    with app.app_context():
        assert store.organization_by_slug("desk") is not None


def test_the_openapi_document_has_the_import_and_export_routes(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    imports = paths["/api/v1/organizations/{slug}/imports"]["post"]
    assert [p["name"] for p in imports["parameters"]] == ["dryRun"]
    assert set(imports["requestBody"]["content"]) == {"application/ld+json", "application/json"}
    assert (
        "ImportReport"
        in imports["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    for suffix, media in (("csv", "text/csv"), ("jsonld", "application/ld+json")):
        export = paths[f"/api/v1/organizations/{{slug}}/exports/fact-checks.{suffix}"]["get"]
        assert media in export["responses"]["200"]["content"]
