"""One canonical URL per fact-check: the organization's own page, or this service's page when it
has none elsewhere. The ClaimReview `url`, the page's rel=canonical, the feed and claims:search
all name it."""

from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pytest
from flask.testing import FlaskClient

from .conftest import FACT_CHECK, create_article, create_fact_check, publish

SITE = "http://factcheck.test"


def parse(response: Any) -> Element:
    document: Element = html5lib.parse(
        response.get_data(as_text=True), treebuilder="etree", namespaceHTMLElements=False
    )
    return document


def canonical_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    (link,) = parse(response).findall(".//link[@rel='canonical']")
    return link.get("href", "")


def everywhere(client: FlaskClient, fact_check_id: int, claim: str) -> dict[str, str]:
    """The URL each public view gives the fact-check."""
    feed = client.get("/api/v1/feed", query_string={"pageSize": 100}).get_json()
    (item,) = [
        element["item"]
        for element in feed["dataFeedElement"]
        if element["@id"].endswith(f"/fact-checks/{fact_check_id}")
    ]
    found = client.get("/api/v1/claims:search", query_string={"query": claim}).get_json()
    (review,) = found["claims"][0]["claimReview"]
    return {
        "claimreview": client.get(f"/api/v1/fact-checks/{fact_check_id}/claimreview").get_json()[
            "url"
        ],
        "page": canonical_of(client, f"/fact-checks/{fact_check_id}"),
        "card": canonical_of(client, f"/fact-checks/{fact_check_id}/embed"),
        "feed": item["url"],
        "claims:search": review["url"],
    }


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (FACT_CHECK["url"], FACT_CHECK["url"]),
        (None, SITE + "/fact-checks/{id}"),
    ],
    ids=["the-organizations-page", "none-elsewhere"],
)
def test_every_view_names_the_one_canonical_url(
    client: FlaskClient, writer: dict[str, str], url: str | None, canonical: str
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    claim = "Parliament met on a Sunday in spring"
    draft = create_fact_check(client, writer, article_id, url=url, claimReviewed=claim)
    published = publish(client, writer, draft)
    assert published.status_code == 200, published.get_json()
    # A fact-check without a page elsewhere publishes, with no warning about its domain.
    assert published.get_json()["warnings"] == []
    fact_check_id = draft.get_json()["id"]
    expected = canonical.format(id=fact_check_id)
    assert everywhere(client, fact_check_id, claim) == dict.fromkeys(
        ("claimreview", "page", "card", "feed", "claims:search"), expected
    )
    # The fact-check's own JSON keeps what was sent: no url of its own.
    assert client.get(f"/api/v1/fact-checks/{fact_check_id}").get_json()["url"] == url


def test_each_seed_page_is_canonical_where_its_claimreview_says(
    client: FlaskClient, seeded: list[str]
) -> None:
    checks = client.get("/api/v1/fact-checks", query_string={"pageSize": 100}).get_json()
    assert len(checks) == 13
    for check in checks:
        document = client.get(f"/api/v1/fact-checks/{check['id']}/claimreview").get_json()
        assert canonical_of(client, f"/fact-checks/{check['id']}") == document["url"]
        assert document["url"] == check["url"]
