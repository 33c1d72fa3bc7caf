"""Issue 16, point 1: an organization's admins keep its details and policies up through the API.

PATCH /api/v1/organizations/{slug} with a key of the `admin` scope, If-Match as everywhere; the
change reaches every published ClaimReview's author, through the cache too.
"""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.core import keys
from factcheck.core.organizations import organization

from .conftest import create_article, create_fact_check, publish
from .test_errors import assert_problem

ORG = "/api/v1/organizations/desk"
DETAILS = {
    "name": "Desk Fact Check",
    "url": "https://desk.example.org/",
    "logo": "https://desk.example.org/logo.png",
    "correctionsPolicy": "https://desk.example.org/corrections",
    "publishingPrinciples": "https://desk.example.org/principles",
    "methodology": "https://desk.example.org/how-we-check",
    "ownershipFundingInfo": "https://desk.example.org/funding",
    "errorReportingUrl": "https://desk.example.org/report-an-error",
    "languages": ["en", "fr-CA"],
    "sameAs": ["https://www.wikidata.org/wiki/Q42", "https://social.example/@desk"],
    "sdLicense": "https://creativecommons.org/licenses/by/4.0/",
}


def key_of(app: Flask, slug: str, scopes: str) -> dict[str, str]:
    with app.app_context():
        token = keys.issue(organization(slug).id, "admins", frozenset(scopes.split()))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(app: Flask, writer: dict[str, str]) -> dict[str, str]:
    """An admin key of the writer's organization, `desk`."""
    return key_of(app, "desk", "admin")


def patch(
    client: FlaskClient, headers: dict[str, str], body: Any, if_match: str | None = "*"
) -> Any:
    extra = {} if if_match is None else {"If-Match": if_match}
    return client.patch(ORG, json=body, headers={**headers, **extra})


def published_claimreview(client: FlaskClient, writer: dict[str, str]) -> str:
    article_id = create_article(client, writer).get_json()["id"]
    draft = create_fact_check(client, writer, article_id)
    assert publish(client, writer, draft).status_code == 200
    return f"/api/v1/fact-checks/{draft.get_json()['id']}/claimreview"


def test_an_admin_changes_the_details_and_every_field_is_shown(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    before = client.get(ORG)
    response = patch(client, admin, DETAILS, before.headers["ETag"])
    assert response.status_code == 200, response.get_json()
    shown = client.get(ORG)
    assert shown.get_json() == response.get_json()
    assert {key: shown.get_json()[key] for key in DETAILS} == DETAILS
    assert shown.get_json()["version"] == before.get_json()["version"] + 1
    assert response.headers["ETag"] == shown.headers["ETag"] != before.headers["ETag"]


def test_the_claimreview_author_follows_the_organization_through_the_cache(
    client: FlaskClient, writer: dict[str, str], admin: dict[str, str]
) -> None:
    claimreview = published_claimreview(client, writer)
    cached = client.get(claimreview).get_json()["author"]
    assert cached["name"] == "Desk Checks" and "sameAs" not in cached
    assert patch(client, admin, DETAILS).status_code == 200
    author = client.get(claimreview).get_json()["author"]
    assert author == {
        "@type": "Organization",
        "name": DETAILS["name"],
        "url": DETAILS["url"],
        "logo": DETAILS["logo"],
        "sameAs": DETAILS["sameAs"],
    }
    page = client.get(claimreview.removeprefix("/api/v1").removesuffix("/claimreview"))
    assert DETAILS["name"] in page.get_data(as_text=True)


def test_the_claimreview_carries_the_sd_license_an_admin_sets(
    client: FlaskClient, writer: dict[str, str], admin: dict[str, str]
) -> None:
    claimreview = published_claimreview(client, writer)
    assert "sdLicense" not in client.get(claimreview).get_json()
    licence = DETAILS["sdLicense"]
    assert patch(client, admin, {"sdLicense": licence}).status_code == 200
    assert client.get(claimreview).get_json()["sdLicense"] == licence
    assert patch(client, admin, {"sdLicense": None}).status_code == 200
    assert "sdLicense" not in client.get(claimreview).get_json()


def test_null_removes_an_optional_field_and_empties_a_list(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    assert patch(client, admin, DETAILS).status_code == 200
    response = patch(client, admin, {"logo": None, "sameAs": None, "languages": []})
    assert response.status_code == 200, response.get_json()
    body = client.get(ORG).get_json()
    assert (body.get("logo"), body["sameAs"], body["languages"]) == (None, [], [])
    assert body["methodology"] == DETAILS["methodology"]


def test_a_merge_patch_body_is_taken_too(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.patch(
        ORG,
        data='{"name": "Merged Desk"}',
        headers={**admin, "If-Match": "*", "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.get_json()
    assert client.get(ORG).get_json()["name"] == "Merged Desk"


def test_a_patch_that_changes_nothing_keeps_the_version(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    before = client.get(ORG)
    response = patch(client, admin, {"name": before.get_json()["name"]}, before.headers["ETag"])
    assert response.status_code == 200
    assert response.headers["ETag"] == before.headers["ETag"]


def test_without_if_match_it_is_428_and_a_stale_one_412(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    stale = client.get(ORG).headers["ETag"]
    assert_problem(patch(client, admin, {"name": "No If-Match"}, None), 428)
    assert patch(client, admin, {"name": "First"}, stale).status_code == 200
    assert_problem(patch(client, admin, {"name": "Second"}, stale), 412)
    assert_problem(patch(client, admin, {"name": "Other"}, '"fact-check-1-v1"'), 412)
    assert client.get(ORG).get_json()["name"] == "First"


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"url": "ftp://desk.example.org/"}, ["/url"]),
        ({"name": ""}, ["/name"]),
        ({"name": None}, ["/name"]),
        ({"methodology": "javascript:alert(1)"}, ["/methodology"]),
        ({"errorReportingUrl": "not a url"}, ["/errorReportingUrl"]),
        ({"languages": ["en", "not a tag"]}, ["/languages/1"]),
        ({"sameAs": ["https://example.org/"] * 11}, ["/sameAs"]),
        ({"slug": "renamed"}, ["/slug"]),
        ({"ratingScale": {}}, ["/ratingScale"]),
        ({"name": "Bad\u0000name"}, ["/name"]),
    ],
)
def test_bad_fields_are_422_with_a_pointer_each(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any], pointers: list[str]
) -> None:
    before = client.get(ORG).get_json()
    problem = assert_problem(patch(client, admin, body), 422)
    assert sorted({error["pointer"] for error in problem["errors"]}) == pointers
    assert client.get(ORG).get_json() == before


def test_only_an_admin_key_of_the_organization_may_change_it(
    app: Flask, client: FlaskClient, writer: dict[str, str], rival: dict[str, str]
) -> None:
    assert_problem(patch(client, {}, {"name": "Anyone"}), 401)
    # The key and its scope come before the body: a bad body from a writer is still 403.
    assert_problem(patch(client, writer, {"url": "ftp://bad"}), 403)
    rival_admin = key_of(app, "rival", "admin")
    assert_problem(patch(client, rival_admin, {"name": "Taken over"}), 404)
    assert client.get(ORG).get_json()["name"] == "Desk Checks"


def test_the_routes_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "patch" in paths["/api/v1/organizations/{slug}"]
    assert {"get", "post"} <= paths["/api/v1/organizations/{slug}/rating-scales"].keys()
    assert "get" in paths["/api/v1/organizations/{slug}/rating-scales/{version}"]
    patch_body = paths["/api/v1/organizations/{slug}"]["patch"]["requestBody"]["content"]
    assert {"application/json", "application/merge-patch+json"} <= patch_body.keys()
