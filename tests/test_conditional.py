"""Conditional requests as RFC 9110 §13 says, on every route family that has an ETag (the API,
JSON-LD, history, pages, cards, oEmbed, the feed) and on every write with If-Match (issue 11
point 4): weak comparison for If-None-Match, strong for If-Match, `*`, and malformed lists."""

from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from .conftest import create_article, create_fact_check, publish

PROBLEM = "application/problem+json"
READS = [
    "/api/v1/fact-checks/{check}",
    "/api/v1/fact-checks/{check}/claimreview",
    "/api/v1/fact-checks/{check}/revisions",
    "/api/v1/articles/{article}",
    "/api/v1/articles/{article}/claimreview",
    "/api/v1/organizations/example-desk",
    "/api/v1/feed",
    "/fact-checks/{check}",
    "/fact-checks/{check}/embed",
    "/articles/{article}",
    "/oembed?format=json&url={page}",
]
MALFORMED = ['*, "x"', '"x", *', "abc", 'W/"x" "y"', 'w/"x"', '"x', '"a b"']


@pytest.fixture
def paths(client: FlaskClient, seeded: list[str]) -> list[str]:
    published = client.get("/api/v1/fact-checks?status=published&pageSize=1").get_json()[0]
    check, article = published["id"], published["articleId"]
    page = quote(f"http://factcheck.test/fact-checks/{check}", safe="")
    return [path.format(check=check, article=article, page=page) for path in READS]


def current(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    etag: str = response.headers["ETag"]
    assert etag.startswith('"'), (path, etag)  # strong, so W/ is the client's or a proxy's
    return etag


def test_if_none_match_compares_weakly(client: FlaskClient, paths: list[str]) -> None:
    for path in paths:
        etag = current(client, path)
        for sent in (etag, "W/" + etag, f'"other", W/{etag}', "*"):
            response = client.get(path, headers={"If-None-Match": sent})
            assert response.status_code == 304, (path, sent)
            assert response.headers["ETag"] == etag
            assert response.data == b""
        for sent in ('"other"', 'W/"other"', ""):
            assert client.get(path, headers={"If-None-Match": sent}).status_code == 200


def test_if_match_on_a_read_compares_strongly(client: FlaskClient, paths: list[str]) -> None:
    for path in paths:
        etag = current(client, path)
        assert client.get(path, headers={"If-Match": etag}).status_code == 200, path
        assert client.get(path, headers={"If-Match": "*"}).status_code == 200, path
        for sent in ("W/" + etag, '"other"'):
            response = client.get(path, headers={"If-Match": sent})
            assert response.status_code == 412, (path, sent)
            assert response.mimetype == PROBLEM


@pytest.mark.parametrize("name", ["If-Match", "If-None-Match"])
def test_malformed_validator_lists_are_400_on_every_route(
    client: FlaskClient, paths: list[str], name: str
) -> None:
    for path in [*paths, "/api/v1/articles", "/no/such/page", "/healthz"]:
        for sent in MALFORMED:
            response = client.get(path, headers={name: sent})
            assert response.status_code == 400, (path, name, sent)
            assert response.mimetype == PROBLEM
            assert name in response.get_json()["detail"]


@pytest.fixture
def published(client: FlaskClient, writer: dict[str, str]) -> dict[str, Any]:
    """A published fact-check of the writer's, and its article."""
    article = create_article(client, writer)
    check = create_fact_check(client, writer, article.get_json()["id"])
    answer = publish(client, writer, check)
    assert answer.status_code == 200
    return {
        "check": f"/api/v1/fact-checks/{check.get_json()['id']}",
        "article": article.headers["Location"],
    }


def writes(published: dict[str, Any]) -> list[tuple[str, str, Any]]:
    check, article = published["check"], published["article"]
    return [
        ("PATCH", check, {"reviewBody": "Edited.", "correction": "Reworded."}),
        ("POST", check + "/retract", {"note": "Withdrawn."}),
        ("PATCH", article, {"author": "A. Reporter"}),
        ("DELETE", check, None),
    ]


def test_if_none_match_refuses_writes_to_the_current_version(
    client: FlaskClient, writer: dict[str, str], published: dict[str, Any]
) -> None:
    for method, path, body in writes(published):
        resource = path.removesuffix("/retract")
        before = client.get(resource, headers=writer)
        etag = before.headers["ETag"]
        for if_match, if_none_match in (
            (etag, "*"),
            (etag, etag),
            (etag, f'"other", W/{etag}'),
            ("*", "*"),
        ):
            headers = {**writer, "If-Match": if_match, "If-None-Match": if_none_match}
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code == 412, (method, path, if_match, if_none_match)
            assert response.mimetype == PROBLEM
        # Nothing was written.
        assert client.get(resource, headers=writer).headers["ETag"] == etag


def test_a_write_goes_ahead_when_if_none_match_names_another_version(
    client: FlaskClient, writer: dict[str, str], published: dict[str, Any]
) -> None:
    check = published["check"]
    etag = client.get(check, headers=writer).headers["ETag"]
    headers = {**writer, "If-Match": etag, "If-None-Match": '"fact-check-1-v999"'}
    response = client.patch(
        check, json={"reviewBody": "Edited.", "correction": "Reworded."}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


def test_if_match_on_a_write_compares_strongly_and_must_be_well_formed(
    client: FlaskClient, writer: dict[str, str], published: dict[str, Any]
) -> None:
    for method, path, body in writes(published):
        resource = path.removesuffix("/retract")
        etag = client.get(resource, headers=writer).headers["ETag"]
        weak = client.open(
            path, method=method, json=body, headers={**writer, "If-Match": "W/" + etag}
        )
        assert weak.status_code == 412, (method, path)
        for sent in (f"*, {etag}", f"{etag} *", etag.strip('"')):
            response = client.open(
                path, method=method, json=body, headers={**writer, "If-Match": sent}
            )
            assert response.status_code == 400, (method, path, sent)
            assert response.mimetype == PROBLEM
        assert client.get(resource, headers=writer).headers["ETag"] == etag
