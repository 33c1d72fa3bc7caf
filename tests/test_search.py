"""Ranked full-text search through GET /api/v1/claims:search; the same tests run on SQLite (FTS5)
and on PostgreSQL (tsvector) when TEST_DATABASE_URL names one."""

from datetime import timedelta

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.storage.db import db
from factcheck.storage.models import FactCheck, utcnow

from .checks import published_check
from .conftest import new_organization

SEARCH = "/api/v1/claims:search"

# Google Fact Check Tools v1alpha1, claims.search response, written from the public reference
# (developers.google.com/fact-check/tools/api/reference/rest/v1alpha1/claims/search and
# .../claims#Claim): FactCheckedClaimSearchResponse {claims[], nextPageToken}; Claim {text,
# claimant, claimDate (Timestamp), claimReview[]}; ClaimReview {publisher {name, site}, url, title,
# reviewDate (Timestamp), textualRating, languageCode}. Nothing else may appear.
TIMESTAMP = {"type": "string", "format": "date-time"}
GOOGLE_RESPONSE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "nextPageToken": {"type": "string", "minLength": 1},
        "claims": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "claimReview"],
                "properties": {
                    "text": {"type": "string"},
                    "claimant": {"type": "string"},
                    "claimDate": TIMESTAMP,
                    "claimReview": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["publisher", "url", "textualRating"],
                            "properties": {
                                "publisher": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "name": {"type": "string"},
                                        "site": {"type": "string"},
                                    },
                                },
                                "url": {"type": "string", "format": "uri"},
                                "title": {"type": "string"},
                                "reviewDate": TIMESTAMP,
                                "textualRating": {"type": "string"},
                                "languageCode": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}
CHECKER = jsonschema.Draft202012Validator(
    GOOGLE_RESPONSE, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def texts(client: FlaskClient, **params: object) -> list[str]:
    response = client.get(SEARCH, query_string=params)
    assert response.status_code == 200, response.get_json()
    return [claim["text"] for claim in response.get_json().get("claims", [])]


@pytest.fixture
def corpus(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Sanctions cut oil exports by half")
    published_check(
        client,
        writer,
        "Tariffs raised grocery prices",
        body="Unrelated to the sanctions regime, prices rose for other reasons.",
    )
    published_check(client, writer, "Exports of oil rose last year", claimant="Jane Roe")
    published_check(client, writer, "The bridge will open in May", headline="Parliament votes")
    published_check(client, writer, "Sanctions were never lifted", draft=True)


@pytest.mark.usefixtures("corpus")
def test_stemming_finds_other_forms_and_ranks_the_claim_above_the_body(
    client: FlaskClient,
) -> None:
    assert texts(client, query="sanction") == [
        "Sanctions cut oil exports by half",
        "Tariffs raised grocery prices",
    ]


@pytest.mark.usefixtures("corpus")
def test_a_phrase_needs_its_words_together(client: FlaskClient) -> None:
    assert texts(client, query='"oil exports"') == ["Sanctions cut oil exports by half"]
    assert sorted(texts(client, query="oil exports")) == [
        "Exports of oil rose last year",
        "Sanctions cut oil exports by half",
    ]


@pytest.mark.usefixtures("corpus")
def test_a_minus_excludes_a_word(client: FlaskClient) -> None:
    assert texts(client, query="oil -sanctions") == ["Exports of oil rose last year"]


@pytest.mark.usefixtures("corpus")
def test_claimant_and_headline_are_searched(client: FlaskClient) -> None:
    assert texts(client, query="roe") == ["Exports of oil rose last year"]
    assert texts(client, query="parliament") == ["The bridge will open in May"]


@pytest.mark.usefixtures("corpus")
def test_drafts_are_never_found(client: FlaskClient) -> None:
    assert "Sanctions were never lifted" not in texts(client, query="lifted")


def test_a_headline_change_reaches_the_index(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published_check(client, writer, "The bridge will open in May", headline="Old words")
    article = client.get(f"/api/v1/articles/{check['articleId']}", headers=writer)
    changed = client.patch(
        f"/api/v1/articles/{check['articleId']}",
        json={"headline": "Harbour crossing delayed"},
        headers={**writer, "If-Match": article.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    assert texts(client, query="harbour") == ["The bridge will open in May"]
    assert texts(client, query="old words") == []


def test_a_correction_reaches_the_index(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published_check(client, writer, "Wages doubled", explanation="Payroll data.")
    assert texts(client, query="payroll") == ["Wages doubled"]
    changed = client.patch(
        f"/api/v1/fact-checks/{check['id']}",
        json={
            "rating": {**check["rating"], "ratingExplanation": "Census figures."},
            "correction": "Cited the census instead.",
        },
        headers={**writer, "If-Match": check["etag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    assert texts(client, query="payroll") == []
    assert texts(client, query="census") == ["Wages doubled"]


def test_retracted_checks_leave_the_search(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published_check(client, writer, "Wages doubled")
    retracted = client.post(
        f"/api/v1/fact-checks/{check['id']}/retract",
        json={"note": "Wrong figures."},
        headers={**writer, "If-Match": check["etag"]},
    )
    assert retracted.status_code == 200
    assert texts(client, query="wages") == []


@pytest.mark.usefixtures("corpus")
def test_the_response_has_google_shape(client: FlaskClient) -> None:
    body = client.get(SEARCH, query_string={"query": "oil", "pageSize": 1}).get_json()
    CHECKER.validate(body)
    (claim,) = body["claims"]
    (review,) = claim["claimReview"]
    assert review["publisher"] == {"name": "Desk Checks", "site": "desk.example.org"}
    assert review["textualRating"] == "Mostly false"
    assert review["languageCode"] == "en"
    assert claim["claimDate"] == "2024-05-01T00:00:00+00:00"
    assert "nextPageToken" in body


def test_a_schema_check_refuses_a_different_shape() -> None:
    wrong = {"claims": [{"text": "x", "claimReview": [{"publisher": {}, "url": "u"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        CHECKER.validate(wrong)


@pytest.mark.usefixtures("corpus")
def test_nothing_found_is_an_empty_object_as_google_sends(client: FlaskClient) -> None:
    response = client.get(SEARCH, query_string={"query": "zeppelin"})
    assert response.status_code == 200
    assert response.get_json() == {}


@pytest.mark.usefixtures("corpus")
def test_page_tokens_walk_every_result_once(client: FlaskClient) -> None:
    seen: list[str] = []
    params: dict[str, object] = {"query": "oil", "pageSize": 1}
    while True:
        body = client.get(SEARCH, query_string=params).get_json()
        CHECKER.validate(body)
        seen += [claim["text"] for claim in body["claims"]]
        if "nextPageToken" not in body:
            break
        params["pageToken"] = body["nextPageToken"]
    assert sorted(seen) == ["Exports of oil rose last year", "Sanctions cut oil exports by half"]
    assert texts(client, query="oil", offset=1) == seen[1:]


@pytest.mark.usefixtures("corpus")
def test_a_forged_page_token_is_a_problem(client: FlaskClient) -> None:
    response = client.get(SEARCH, query_string={"query": "oil", "pageToken": "bm9wZQ"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_query_or_site_is_required(client: FlaskClient) -> None:
    response = client.get(SEARCH)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_page_size_is_capped(client: FlaskClient) -> None:
    assert client.get(SEARCH, query_string={"query": "x", "pageSize": 101}).status_code == 400


def test_publisher_site_filter(app: Flask, client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Oil prices fell")
    rival = new_organization(app, "rival")
    published_check(client, rival, "Oil prices rose")
    assert texts(client, query="oil", reviewPublisherSiteFilter="rival.example.org") == [
        "Oil prices rose"
    ]
    assert texts(client, reviewPublisherSiteFilter="https://www.desk.example.org/") == [
        "Oil prices fell"
    ]


def test_language_code_ignores_the_region(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Oil prices fell", language="en-GB")
    published_check(client, writer, "Oil prices fell again", language="fr")
    assert texts(client, query="oil", languageCode="en-US") == ["Oil prices fell"]


def test_max_age_days_counts_the_newer_of_claim_and_review_dates(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    recent = published_check(client, writer, "Oil prices fell")
    old = published_check(client, writer, "Oil prices rose")
    with app.app_context():
        for check_id in (recent["id"], old["id"]):
            db.session.get(FactCheck, check_id).date_published = utcnow() - timedelta(days=400)
        db.session.get(FactCheck, recent["id"]).claim_date = (utcnow() - timedelta(days=3)).date()
        db.session.commit()
    assert texts(client, query="oil", maxAgeDays=30) == ["Oil prices fell"]
    assert len(texts(client, query="oil", maxAgeDays=500)) == 2


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("path", ["/api/v1/claims:search", "/api/v1/claims%3Asearch"])
def test_the_colon_in_the_path_routes(client: FlaskClient, path: str) -> None:
    response = client.get(path, query_string={"query": "bridge"})
    assert response.status_code == 200
    assert response.get_json()["claims"][0]["text"] == "The bridge will open in May"


def test_query_syntax_never_reaches_the_engine(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Oil prices fell")
    for hostile in ['"', "NEAR(oil", "oil*", "oil:)", "-", "'; drop", "a AND OR NOT", "_ _"]:
        assert client.get(SEARCH, query_string={"query": hostile}).status_code == 200


@pytest.mark.usefixtures("corpus")
def test_stop_words_are_ignored_alike_on_both_engines(client: FlaskClient) -> None:
    assert texts(client, query="all the oil exports") == texts(client, query="oil exports")
    assert texts(client, query="the of and") == []
