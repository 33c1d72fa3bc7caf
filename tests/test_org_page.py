"""Issue 16, point 1: the organization's public page, /organizations/{slug}: its policies, its
rating scale with the definitions, its latest published fact-checks; linked from every
fact-check page."""

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from .conftest import create_article, create_fact_check, publish
from .test_errors import assert_problem
from .test_organizations_admin import DETAILS, admin  # noqa: F401  (a fixture)
from .test_pages import claimreviews_found_by_extruct, parse, text_of
from .test_rating_scales import NEW_SCALE, ON_NEW_SCALE, new_scale

PAGE = "/organizations/desk"


def published(client: FlaskClient, writer: dict[str, str], **fields: Any) -> int:
    article_id = create_article(client, writer, url=None).get_json()["id"]
    draft = create_fact_check(client, writer, article_id, **fields)
    assert publish(client, writer, draft).status_code == 200
    fact_check_id: int = draft.get_json()["id"]
    return fact_check_id


def test_the_page_shows_the_policies_the_scale_and_the_latest_fact_checks(
    client: FlaskClient,
    writer: dict[str, str],
    admin: dict[str, str],  # noqa: F811
) -> None:
    client.patch("/api/v1/organizations/desk", json=DETAILS, headers={**admin, "If-Match": "*"})
    assert new_scale(client, admin).status_code == 201
    first = published(client, writer, rating=ON_NEW_SCALE, claimReviewed="First claim")
    second = published(client, writer, rating=ON_NEW_SCALE, claimReviewed="Second claim")
    article_id = create_article(client, writer, url=None).get_json()["id"]
    create_fact_check(client, writer, article_id, claimReviewed="A draft", rating=ON_NEW_SCALE)

    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response)
    assert text_of(page, ".//h1") == DETAILS["name"]
    links = {a.get("href"): "".join(a.itertext()) for a in page.iter("a")}
    assert links[DETAILS["correctionsPolicy"]] == "Corrections policy"
    assert links[DETAILS["methodology"]] == "Methodology"
    assert links[DETAILS["ownershipFundingInfo"]] == "Ownership and funding"
    assert links[DETAILS["errorReportingUrl"]] == "Report an error"
    assert all(url in links for url in DETAILS["sameAs"])
    definitions = [
        "".join(dd.itertext()) for dd in page.findall(".//dl[@class='scale-definitions']/dd")
    ]
    assert definitions == [
        label["definition"] for label in [*NEW_SCALE["labels"], *NEW_SCALE["offScale"]]
    ]
    claims = [
        ("".join(a.itertext()), a.get("href"))
        for a in page.findall(".//ol[@class='claims']//p[@class='claim']/a")
    ]
    # Newest first; drafts are not shown.
    assert claims == [
        ("Second claim", f"http://factcheck.test/fact-checks/{second}"),
        ("First claim", f"http://factcheck.test/fact-checks/{first}"),
    ]
    assert page.get("lang") == "en"
    assert claimreviews_found_by_extruct(response.get_data(as_text=True), PAGE) == []


def test_every_fact_check_page_links_to_it(client: FlaskClient, writer: dict[str, str]) -> None:
    page = parse(client.get(f"/fact-checks/{published(client, writer)}"))
    link = page.find(".//p[@class='organization']/a")
    assert link is not None
    assert link.get("href") == "http://factcheck.test/organizations/desk"


def test_the_page_follows_publishing_retraction_and_the_organization(
    client: FlaskClient,
    writer: dict[str, str],
    admin: dict[str, str],  # noqa: F811
) -> None:
    empty = client.get(PAGE)
    assert "None published yet." in empty.get_data(as_text=True)
    assert client.get(PAGE, headers={"If-None-Match": empty.headers["ETag"]}).status_code == 304
    fact_check_id = published(client, writer, claimReviewed="Now public")
    assert "Now public" in client.get(PAGE).get_data(as_text=True)
    current = client.get(f"/api/v1/fact-checks/{fact_check_id}", headers=writer)
    retracted = client.post(
        f"/api/v1/fact-checks/{fact_check_id}/retract",
        json={"note": "Withdrawn."},
        headers={**writer, "If-Match": current.headers["ETag"]},
    )
    assert retracted.status_code == 200
    assert "Now public" not in client.get(PAGE).get_data(as_text=True)
    renamed = client.patch(
        "/api/v1/organizations/desk",
        json={"name": "Renamed Desk"},
        headers={**admin, "If-Match": "*"},
    )
    assert renamed.status_code == 200
    assert text_of(parse(client.get(PAGE)), ".//h1") == "Renamed Desk"


def test_the_page_sends_the_page_headers(app: Flask, client: FlaskClient, writer: Any) -> None:
    response = client.get(PAGE)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public")
    assert parse(response).findall(".//script") == []


def test_an_unknown_organization_is_a_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/organizations/nobody"), 404)
