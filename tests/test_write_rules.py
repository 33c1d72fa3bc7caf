"""What a write may change (issue 11, points 6 to 8): published content only as a correction
with `publish`, verdicts on the organization's scale, PATCH as JSON Merge Patch; and lookups by
a URL Python cannot split are 400, not 500."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.core import keys
from factcheck.core.organizations import create_organization, organization
from factcheck.storage.db import db

from .conftest import FACT_CHECK, create_article, create_fact_check, publish

RATING = FACT_CHECK["rating"]


def patch(
    client: FlaskClient, headers: dict[str, str], path: str, body: Any, **options: Any
) -> Any:
    return client.patch(path, json=body, headers={**headers, "If-Match": "*"}, **options)


def pointers(response: Any) -> list[str]:
    return [error.get("pointer") for error in response.get_json().get("errors", [])]


@pytest.fixture
def draft(client: FlaskClient, writer: dict[str, str]) -> Any:
    article_id = create_article(client, writer).get_json()["id"]
    return create_fact_check(client, writer, article_id)


@pytest.fixture
def published(client: FlaskClient, writer: dict[str, str], draft: Any) -> str:
    assert publish(client, writer, draft).status_code == 200
    path: str = draft.headers["Location"]
    return path


# --- point 6: published content changes only as a correction, with `publish` ----------------

READER_CHANGES = [
    {"rating": {"ratingValue": 1, "alternateName": "False"}},
    {"rating": {"ratingExplanation": "It fell by a quarter."}},
    {"evidence": [{"url": "https://stats.example.gov/cpi-2", "relation": "refutes"}]},
    {"claimReviewed": "Inflation halved in twelve months"},
    {"quote": "Closing line.", "quoteOffset": None},
]


@pytest.mark.parametrize("change", READER_CHANGES)
def test_a_write_only_key_cannot_correct_a_published_fact_check(
    app: Flask, client: FlaskClient, writer: dict[str, str], published: str, change: Any
) -> None:
    write_only = {"Authorization": "Bearer " + issue_key(app, "desk", "write")}
    before = client.get(published).get_json()
    response = patch(client, write_only, published, {**change, "correction": "Fixed."})
    assert response.status_code == 403, response.get_json()
    assert client.get(published).get_json() == before


def test_the_scope_is_checked_before_the_content(
    app: Flask, client: FlaskClient, published: str
) -> None:
    write_only = {"Authorization": "Bearer " + issue_key(app, "desk", "write")}
    response = patch(client, write_only, published, {"quote": "Not in the article."})
    assert response.status_code == 403


@pytest.mark.parametrize("change", READER_CHANGES)
def test_a_published_change_without_a_note_is_422_at_correction(
    client: FlaskClient, writer: dict[str, str], published: str, change: Any
) -> None:
    response = patch(client, writer, published, change)
    assert response.status_code == 422, response.get_json()
    assert pointers(response) == ["/correction"]


@pytest.mark.parametrize("change", READER_CHANGES)
def test_a_correction_with_publish_changes_it_and_shows_the_note(
    client: FlaskClient, writer: dict[str, str], published: str, change: Any
) -> None:
    response = patch(client, writer, published, {**change, "correction": "Newer figures."})
    assert response.status_code == 200, response.get_json()
    assert [item["note"] for item in response.get_json()["corrections"]] == ["Newer figures."]


def test_a_typo_in_the_review_needs_no_correction(
    app: Flask, client: FlaskClient, published: str
) -> None:
    write_only = {"Authorization": "Bearer " + issue_key(app, "desk", "write")}
    response = patch(client, write_only, published, {"reviewBody": "Fixed a typo."})
    assert response.status_code == 200
    assert response.get_json()["corrections"] == []


def issue_key(app: Flask, slug: str, scopes: str) -> str:
    with app.app_context():
        return keys.issue(organization(slug).id, "narrow", frozenset(scopes.split()))


# --- point 7: the verdict matches the organization's scale -----------------------------------


@pytest.mark.parametrize(
    ("rating", "pointer"),
    [
        ({**RATING, "ratingValue": 2, "alternateName": "True"}, "/rating/alternateName"),
        ({**RATING, "alternateName": "Largely untrue"}, "/rating/alternateName"),
        ({**RATING, "bestRating": 10}, "/rating/bestRating"),
        ({**RATING, "worstRating": 2}, "/rating/worstRating"),
        ({"alternateName": "Invented off-scale label"}, "/rating/alternateName"),
        ({"alternateName": "True"}, "/rating/ratingValue"),
    ],
)
def test_a_verdict_off_the_scale_is_422_with_a_pointer(
    client: FlaskClient, writer: dict[str, str], rating: dict[str, Any], pointer: str
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    response = client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "rating": rating},
        headers=writer,
    )
    assert response.status_code == 422, response.get_json()
    assert pointer in pointers(response)


def test_a_patch_to_a_pair_off_the_scale_is_422(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    path = draft.headers["Location"]
    response = patch(client, writer, path, {"rating": {"alternateName": "True"}})
    assert response.status_code == 422
    assert pointers(response) == ["/rating/alternateName"]
    assert client.get(path, headers=writer).get_json()["rating"] == RATING


def test_a_declared_off_scale_label_carries_no_numbers(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    created = create_fact_check(
        client, writer, article_id, rating={"alternateName": "Unproven", "ratingExplanation": "?"}
    )
    assert created.get_json()["rating"]["alternateName"] == "Unproven"


def test_an_organizations_own_scale_is_the_one_checked(app: Flask, client: FlaskClient) -> None:
    scale = {
        "worstRating": 1,
        "bestRating": 3,
        "labels": [
            {"ratingValue": 1, "alternateName": "Wrong"},
            {"ratingValue": 2, "alternateName": "Partly right"},
            {"ratingValue": 3, "alternateName": "Right"},
        ],
        "offScale": ["Not checkable"],
    }
    with app.app_context():
        organization = create_organization(
            "tri", "Tri Checks", "https://tri.example.org/", rating_scale=scale
        )
        headers = {
            "Authorization": "Bearer "
            + keys.issue(organization.id, "tests", frozenset({"write", "publish"}))
        }
    article_id = create_article(client, headers).get_json()["id"]
    ours = {"ratingValue": 2, "bestRating": 3, "worstRating": 1, "alternateName": "Partly right"}
    assert create_fact_check(client, headers, article_id, rating=ours).status_code == 201
    default = client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "url": None, "rating": RATING},
        headers=headers,
    )
    assert default.status_code == 422
    assert set(pointers(default)) == {"/rating/bestRating", "/rating/alternateName"}


# --- point 8: PATCH merges as JSON Merge Patch (RFC 7386) -------------------------------------


def test_a_correction_of_the_rating_keeps_the_published_explanation(
    client: FlaskClient, writer: dict[str, str], published: str
) -> None:
    response = patch(
        client,
        writer,
        published,
        {"rating": {"ratingValue": 1, "alternateName": "False"}, "correction": "Fell further."},
    )
    assert response.status_code == 200, response.get_json()
    rating = response.get_json()["rating"]
    assert (rating["ratingValue"], rating["alternateName"]) == (1, "False")
    assert rating["ratingExplanation"] == RATING["ratingExplanation"]
    claimreview = client.get(published + "/claimreview").get_json()
    assert claimreview["reviewRating"]["ratingExplanation"] == RATING["ratingExplanation"]


def test_null_removes_one_member_and_the_others_stay(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    path = draft.headers["Location"]
    response = patch(client, writer, path, {"rating": {"ratingExplanation": None}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rating"] == {
        key: value for key, value in RATING.items() if key != "ratingExplanation"
    } | {"ratingExplanation": None}


def test_a_nested_object_keeps_the_members_left_out(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    path = draft.headers["Location"]
    response = patch(client, writer, path, {"claimAuthor": {"jobTitle": "Former minister"}})
    assert response.status_code == 200, response.get_json()
    author = response.get_json()["claimAuthor"]
    assert author == {**FACT_CHECK["claimAuthor"], "jobTitle": "Former minister"}
    removed = patch(client, writer, path, {"claimAuthor": {"jobTitle": None}}).get_json()
    assert removed["claimAuthor"] == {"name": "The Minister", "type": "Person"}


def test_null_removes_a_whole_nested_object(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    response = patch(client, writer, draft.headers["Location"], {"claimAuthor": None})
    assert response.status_code == 200
    assert response.get_json()["claimAuthor"] is None


def test_a_merge_that_leaves_the_object_invalid_is_422_inside_it(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    path = draft.headers["Location"]
    response = patch(client, writer, path, {"rating": {"alternateName": None}})
    assert response.status_code == 422
    assert pointers(response) == ["/rating/alternateName"]
    names = patch(client, writer, path, {"claimAuthor": {"name": None}})
    assert names.status_code == 422 and pointers(names) == ["/claimAuthor/name"]


def test_a_patch_without_a_rating_on_a_draft_without_one_needs_a_whole_rating(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    created = create_fact_check(client, writer, article_id, rating=None)
    response = patch(client, writer, created.headers["Location"], {"rating": {"ratingValue": 2}})
    assert response.status_code == 422
    assert "/rating/alternateName" in pointers(response)


def test_the_merge_patch_media_type_is_taken(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    response = client.patch(
        draft.headers["Location"],
        data=b'{"claimAuthor": {"jobTitle": "MP"}}',
        headers={**writer, "If-Match": "*", "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["claimAuthor"]["name"] == "The Minister"


def test_an_articles_publisher_is_merged(client: FlaskClient, writer: dict[str, str]) -> None:
    article = create_article(client, writer)
    response = patch(
        client,
        writer,
        article.headers["Location"],
        {"publisher": {"url": "https://news.example.com/about"}},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["publisher"] == {
        "name": "Example News",
        "url": "https://news.example.com/about",
    }


@pytest.mark.parametrize(
    "path", ["/api/v1/fact-checks/{fact_check_id}", "/api/v1/articles/{article_id}"]
)
def test_the_openapi_document_says_patch_is_a_merge_patch(client: FlaskClient, path: str) -> None:
    document = client.get("/api/openapi.json").get_json()
    body = document["paths"][path]["patch"]["requestBody"]
    assert {"application/json", "application/merge-patch+json"} <= set(body["content"])
    assert "RFC 7386" in body["description"]
    refs = {content["schema"]["$ref"] for content in body["content"].values()}
    assert len(refs) == 1, refs
    component = document["components"]["schemas"][refs.pop().rsplit("/", 1)[1]]
    assert "required" not in component, "every field of a merge patch is optional"


# --- lookups by a URL Python cannot split ----------------------------------------------------


@pytest.mark.parametrize("collection", ["articles", "fact-checks"])
@pytest.mark.parametrize("url", ["http://[::1", "http://[::1/x", "https://news\uff03example.com/"])
def test_a_lookup_by_an_unsplittable_url_is_400_naming_the_parameter(
    client: FlaskClient, writer: dict[str, str], collection: str, url: str
) -> None:
    for headers in ({}, writer):
        response = client.get(f"/api/v1/{collection}", query_string={"url": url}, headers=headers)
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert [error["parameter"] for error in response.get_json()["errors"]] == ["url"]


def test_the_raw_query_of_the_issue_is_400(client: FlaskClient) -> None:
    response = client.get("/api/v1/articles?url=http%3A%2F%2F%5B%3A%3A1")
    assert response.status_code == 400


def test_moving_off_the_scale_removes_the_numbers_with_null(
    client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    path = draft.headers["Location"]
    kept_numbers = patch(client, writer, path, {"rating": {"alternateName": "Unproven"}})
    assert kept_numbers.status_code == 422
    off = {
        "alternateName": "Unproven",
        "ratingValue": None,
        "bestRating": None,
        "worstRating": None,
    }
    response = patch(client, writer, path, {"rating": off})
    assert response.status_code == 200, response.get_json()
    rating = response.get_json()["rating"]
    assert (rating["alternateName"], rating["ratingValue"]) == ("Unproven", None)
    assert rating["ratingExplanation"] == RATING["ratingExplanation"]


def test_publish_checks_the_scale_the_organization_has_now(
    app: Flask, client: FlaskClient, writer: dict[str, str], draft: Any
) -> None:
    with app.app_context():
        desk = organization("desk")
        desk.rating_scale = {**desk.rating_scale, "labels": [], "offScale": ["Unproven"]}
        db.session.commit()
    response = publish(client, writer, draft)
    assert response.status_code == 422
    assert "/rating/ratingValue" in pointers(response)
