from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import FACT_CHECK, create_article, create_fact_check, publish


@pytest.fixture
def article_id(client: FlaskClient, writer: dict[str, str]) -> int:
    return int(create_article(client, writer).get_json()["id"])


def test_a_new_fact_check_is_a_draft_with_its_quote_located(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    body = create_fact_check(client, writer, article_id).get_json()
    assert body["status"] == "draft"
    assert body["quoteOffset"] == len("Opening line. ")
    assert body["articleId"] == article_id


def test_a_wrong_offset_is_refused_with_a_pointer(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    response = client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "quoteOffset": 3},
        headers=writer,
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"pointer": "/quoteOffset", "detail": "Does not match the text. It is at 14."}
    ]


def test_a_quote_not_in_the_article_is_refused(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    response = client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "quote": "Words nobody said."},
        headers=writer,
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/quote"


@pytest.mark.parametrize(
    ("rating", "pointer"),
    [
        ({"ratingValue": 6, "bestRating": 5, "worstRating": 1}, "/rating/ratingValue"),
        ({"ratingValue": 3, "bestRating": 2, "worstRating": 2}, "/rating/worstRating"),
        ({"ratingValue": 3, "worstRating": 1}, "/rating/bestRating"),
        ({"ratingValue": 0, "bestRating": 5, "worstRating": 0}, "/rating/worstRating"),
    ],
)
def test_ratings_off_their_own_scale_are_refused(
    client: FlaskClient,
    writer: dict[str, str],
    article_id: int,
    rating: dict[str, Any],
    pointer: str,
) -> None:
    response = client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "rating": {**rating, "alternateName": "X"}},
        headers=writer,
    )
    assert response.status_code == 422
    assert pointer in [error["pointer"] for error in response.get_json()["errors"]]


def test_server_owned_fields_are_not_taken(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    response = client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "status": "published", "id": 999},
        headers=writer,
    )
    assert response.status_code == 422
    pointers = {error["pointer"] for error in response.get_json()["errors"]}
    assert pointers == {"/status", "/id"}


def test_publishing_applies_the_profile(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(client, writer, article_id, evidence=[], url=None)
    response = publish(client, writer, check)
    assert response.status_code == 422
    pointers = {error["pointer"] for error in response.get_json()["errors"]}
    # Without a url of its own, the service's page is its canonical URL (no error).
    assert pointers == {"/evidence"}


def test_publishing_returns_warnings(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(
        client,
        writer,
        article_id,
        claimReviewed="The claim that inflation halved is mostly false",
        url="https://elsewhere.example.net/check",
    )
    response = publish(client, writer, check)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "published"
    details = " ".join(warning["detail"] for warning in body["warnings"])
    assert "mostly false" in details
    assert "domain" in details


def test_drafts_are_visible_only_to_their_organization(
    client: FlaskClient, writer: dict[str, str], rival: dict[str, str], article_id: int
) -> None:
    path = create_fact_check(client, writer, article_id).headers["Location"]
    assert client.get(path, headers=writer).status_code == 200
    assert client.get(path).status_code == 404
    assert client.get(path, headers=rival).status_code == 404
    assert client.get(path + "/claimreview").status_code == 404


def test_published_checks_are_public_and_cacheable(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(client, writer, article_id)
    published = publish(client, writer, check)
    path = check.headers["Location"]
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    assert response.headers["ETag"] == published.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def _patch(client: FlaskClient, writer: dict[str, str], check: Any, body: dict[str, Any]) -> Any:
    return client.patch(
        f"/api/v1/fact-checks/{check.get_json()['id']}",
        json=body,
        headers={**writer, "If-Match": "*"},
    )


def test_changing_a_published_verdict_needs_a_correction(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(client, writer, article_id)
    publish(client, writer, check)
    new_rating = {**FACT_CHECK["rating"], "ratingValue": 1, "alternateName": "False"}
    refused = _patch(client, writer, check, {"rating": new_rating})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [
        {"pointer": "/correction", "detail": "Say what changed and why."}
    ]
    corrected = _patch(
        client, writer, check, {"rating": new_rating, "correction": "New figures: it fell a tenth."}
    )
    assert corrected.status_code == 200
    body = corrected.get_json()
    assert body["rating"]["ratingValue"] == 1
    assert [c["note"] for c in body["corrections"]] == ["New figures: it fell a tenth."]
    claimreview = client.get(f"/api/v1/fact-checks/{body['id']}/claimreview").get_json()
    assert claimreview["correction"][0]["text"] == "New figures: it fell a tenth."
    assert claimreview["dateModified"] > claimreview["datePublished"]


def test_other_edits_of_a_published_check_need_no_correction(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(client, writer, article_id)
    publish(client, writer, check)
    response = _patch(client, writer, check, {"reviewBody": "Fixed a typo."})
    assert response.status_code == 200
    assert response.get_json()["corrections"] == []


def test_retraction_keeps_the_check_readable(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(client, writer, article_id)
    published = publish(client, writer, check)
    path = check.headers["Location"]
    response = client.post(
        path + "/retract",
        json={"note": "The source data was withdrawn."},
        headers={**writer, "If-Match": published.headers["ETag"]},
    )
    assert response.status_code == 200
    public = client.get(path).get_json()
    assert public["status"] == "retracted"
    assert public["retraction"]["note"] == "The source data was withdrawn."
    assert _patch(client, writer, check, {"reviewBody": "x"}).status_code == 409


def test_publish_needs_the_publish_scope(
    client: FlaskClient, app: Any, article_id: int, writer: dict[str, str]
) -> None:
    from .conftest import new_organization

    check = create_fact_check(client, writer, article_id)
    write_only = new_organization(app, "juniors", scopes="write")
    assert publish(client, write_only, check).status_code in {403, 404}
    juniors_article = create_article(client, write_only).get_json()
    own = create_fact_check(client, write_only, juniors_article["id"])
    assert publish(client, write_only, own).status_code == 403


def test_revisions_record_every_change(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    check = create_fact_check(client, writer, article_id)
    published = publish(client, writer, check)
    path = check.headers["Location"]
    client.patch(
        path,
        json={"reviewBody": "Clearer wording."},
        headers={**writer, "If-Match": published.headers["ETag"]},
    )
    revisions = client.get(path + "/revisions", headers=writer).get_json()
    assert [r["action"] for r in revisions] == ["create", "publish", "update"]
    assert [r["version"] for r in revisions] == [1, 2, 3]
    assert revisions[2]["changes"]["reviewBody"][1] == "Clearer wording."
    assert revisions[0]["actor"].startswith("key:")


def test_only_drafts_are_deleted(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    draft = create_fact_check(client, writer, article_id)
    other = create_fact_check(client, writer, article_id, url="https://desk.example.org/c#2")
    publish(client, writer, other)
    assert (
        client.delete(draft.headers["Location"], headers={**writer, "If-Match": "*"}).status_code
        == 204
    )
    assert (
        client.delete(other.headers["Location"], headers={**writer, "If-Match": "*"}).status_code
        == 409
    )


def test_lookup_by_page_url_keeps_the_fragment(
    client: FlaskClient, writer: dict[str, str], article_id: int
) -> None:
    first = create_fact_check(client, writer, article_id).get_json()
    create_fact_check(
        client, writer, article_id, url="https://desk.example.org/checks/inflation#other"
    )
    found = client.get(
        "/api/v1/fact-checks",
        query_string={"url": "https://DESK.example.org/checks/inflation/#halved"},
        headers=writer,
    ).get_json()
    assert [item["id"] for item in found] == [first["id"]]
