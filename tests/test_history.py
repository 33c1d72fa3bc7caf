"""The public history is the published record: from the first publish on, by the organization,
paged like the other lists and cached like the other public documents. Its own organization's
keys read every revision."""

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.storage.models import DEFAULT_RATING_SCALE

from .conftest import FACT_CHECK, create_article, create_fact_check
from .test_cache import counting_queries
from .test_errors import assert_problem

ABANDONED = {"alternateName": "Unproven", "ratingExplanation": "Abandoned verdict"}
# The default scale's labels, by ratingValue: a verdict is a pair of its organization's scale.
LABELS = {entry["ratingValue"]: entry["alternateName"] for entry in DEFAULT_RATING_SCALE["labels"]}
DRAFT_TEXT = "INTERNAL: wait for the desk editor before calling it."


def write(client: FlaskClient, headers: dict[str, str], method: str, path: str, **body: Any) -> Any:
    response = client.open(
        path, method=method, json=body or None, headers={**headers, "If-Match": "*"}
    )
    assert response.status_code == 200, response.get_json()
    return response


def correct(client: FlaskClient, writer: dict[str, str], fact_check_id: int, number: int) -> None:
    value = 1 + number % 5
    rating = {
        **FACT_CHECK["rating"],
        "ratingValue": value,
        "alternateName": LABELS[value],
        "ratingExplanation": f"Verdict {number}.",
    }
    write(
        client,
        writer,
        "PATCH",
        f"/api/v1/fact-checks/{fact_check_id}",
        rating=rating,
        correction=f"Correction number {number}.",
    )


@pytest.fixture
def story(client: FlaskClient, writer: dict[str, str]) -> int:
    """A fact-check drafted with a verdict and notes it dropped before publishing, then
    published, corrected, edited and retracted."""
    article_id = create_article(client, writer).get_json()["id"]
    draft = create_fact_check(
        client, writer, article_id, rating=ABANDONED, reviewBody=DRAFT_TEXT
    ).get_json()
    path = f"/api/v1/fact-checks/{draft['id']}"
    write(client, writer, "PATCH", path, rating=FACT_CHECK["rating"], reviewBody="Final text.")
    write(client, writer, "POST", path + "/publish")
    correct(client, writer, draft["id"], 1)
    write(client, writer, "PATCH", path, inLanguage="en-GB", correction="Spelling.")
    write(client, writer, "POST", path + "/retract", note="The series was withdrawn.")
    fact_check_id: int = draft["id"]
    return fact_check_id


def test_the_public_sees_the_published_record_by_the_organization(
    client: FlaskClient, story: int
) -> None:
    response = client.get(f"/api/v1/fact-checks/{story}/revisions")
    assert response.status_code == 200
    entries = response.get_json()
    assert [entry["action"] for entry in entries][0] == "publish"
    assert [entry["action"] for entry in entries][-1] == "retract"
    assert "correct" in [entry["action"] for entry in entries]
    assert {entry["actor"] for entry in entries} == {"desk"}
    # What was published, as it appeared: the final draft, none of the states before it.
    published = entries[0]["changes"]
    assert published["rating"] == [None, FACT_CHECK["rating"]]
    assert published["reviewBody"] == [None, "Final text."]
    assert published["claimReviewed"] == [None, FACT_CHECK["claimReviewed"]]
    body = response.get_data(as_text=True)
    for secret in ("Abandoned verdict", "INTERNAL", "key:", "tests", '"draft"', '"create"'):
        assert secret not in body, secret
    corrected = next(entry for entry in entries if entry["action"] == "correct")
    assert corrected["note"] == "Correction number 1."
    assert corrected["changes"]["rating"][1]["ratingExplanation"] == "Verdict 1."
    assert entries[-1]["note"] == "The series was withdrawn."
    assert response.headers["Cache-Control"].startswith("public")


def test_another_organization_sees_the_public_record_and_the_owner_everything(
    client: FlaskClient, writer: dict[str, str], rival: dict[str, str], story: int
) -> None:
    path = f"/api/v1/fact-checks/{story}/revisions"
    public = client.get(path).get_json()
    assert client.get(path, headers=rival).get_json() == public
    own = client.get(path, headers=writer)
    entries = own.get_json()
    assert [entry["action"] for entry in entries][:3] == ["create", "update", "publish"]
    assert entries[0]["changes"]["rating"]["ratingExplanation"] == "Abandoned verdict"
    assert all(entry["actor"].startswith("key:") for entry in entries)
    assert len(entries) == len(public) + 2
    assert "public" not in own.headers["Cache-Control"]
    assert own.headers["Vary"] == "Authorization"


def test_a_drafts_history_is_its_organizations_only(
    client: FlaskClient, writer: dict[str, str], rival: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    draft_id = create_fact_check(client, writer, article_id).get_json()["id"]
    path = f"/api/v1/fact-checks/{draft_id}/revisions"
    assert_problem(client.get(path), 404)
    assert_problem(client.get(path, headers=rival), 404)
    assert [entry["action"] for entry in client.get(path, headers=writer).get_json()] == ["create"]


def links(response: Any) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    }


def test_the_history_is_paged_with_link_headers(
    client: FlaskClient, writer: dict[str, str], story: int
) -> None:
    article_id = create_article(client, writer, url=None).get_json()["id"]
    draft = create_fact_check(client, writer, article_id, url=None).get_json()
    write(client, writer, "POST", f"/api/v1/fact-checks/{draft['id']}/publish")
    for number in range(24):
        correct(client, writer, draft["id"], number)
    path = f"/api/v1/fact-checks/{draft['id']}/revisions"
    whole = client.get(path, query_string={"pageSize": 100}).get_json()
    assert len(whole) == 25
    first = client.get(path, query_string={"pageSize": 10})
    assert first.headers["X-Total-Count"] == "25"
    assert len(first.get_json()) == 10
    found = links(first)
    assert set(found) == {"first", "last", "next"}
    assert "page=3" in found["last"] and "page=2" in found["next"]
    pages = [
        client.get(path, query_string={"page": page, "pageSize": 10}).get_json()
        for page in (1, 2, 3)
    ]
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [entry for page in pages for entry in page] == whole
    # The default page is the first 20, oldest first.
    assert client.get(path).get_json() == whole[:20]


def test_the_public_history_is_cached_and_dropped_by_the_next_change(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    draft = create_fact_check(client, writer, article_id).get_json()
    write(client, writer, "POST", f"/api/v1/fact-checks/{draft['id']}/publish")
    path = f"/api/v1/fact-checks/{draft['id']}/revisions"
    built = client.get(path)
    with counting_queries(app) as queries:
        again = client.get(path)
        second_page = client.get(path, query_string={"page": 2, "pageSize": 1})
        not_modified = client.get(path, headers={"If-None-Match": built.headers["ETag"]})
    assert queries == [], "a cached history runs no SQL, whatever the page"
    assert again.data == built.data and second_page.get_json() == []
    assert not_modified.status_code == 304
    correct(client, writer, draft["id"], 7)
    after = client.get(path).get_json()
    assert [entry["action"] for entry in after] == ["publish", "correct"]
    assert json.loads(built.data) == after[:1]
