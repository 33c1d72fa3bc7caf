"""A retraction withdraws the markup: no ClaimReview anywhere a crawler reads it (410 on
/claimreview, none on the page, none in the article's array), no verdict on the card; the page
keeps the human notice and the feed its tombstone."""

from typing import Any
from xml.etree.ElementTree import Element

import extruct
import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import FACT_CHECK, create_article, create_fact_check, publish
from .redis_server import RedisServer
from .test_errors import assert_problem

SITE = "http://factcheck.test"
NOTE = "The statistics office withdrew the series."


def parse(response: Any) -> Element:
    document: Element = html5lib.parse(
        response.get_data(as_text=True), treebuilder="etree", namespaceHTMLElements=False
    )
    return document


def texts(document: Element, path: str) -> list[str]:
    return ["".join(element.itertext()).strip() for element in document.findall(path)]


@pytest.fixture
def story(client: FlaskClient, writer: dict[str, str]) -> dict[str, int]:
    """An article with two published fact-checks, the first retracted after every public view
    of it was read (so cached)."""
    article_id = create_article(
        client, writer, text="Opening. The minister said inflation halved in a year. Closing."
    ).get_json()["id"]
    kept = create_fact_check(
        client,
        writer,
        article_id,
        claimReviewed="Inflation halved in a year, said the minister",
        url="https://desk.example.org/checks/kept",
    )
    withdrawn = create_fact_check(client, writer, article_id)
    for draft in (kept, withdrawn):
        assert publish(client, writer, draft).status_code == 200
    ids = {
        "article": article_id,
        "kept": kept.get_json()["id"],
        "retracted": withdrawn.get_json()["id"],
    }
    for path in views(ids):
        assert client.get(path).status_code == 200
    retracted = client.post(
        f"/api/v1/fact-checks/{ids['retracted']}/retract",
        json={"note": NOTE},
        headers={**writer, "If-Match": "*"},
    )
    assert retracted.status_code == 200, retracted.get_json()
    return ids


def views(ids: dict[str, int]) -> list[str]:
    check, article = ids["retracted"], ids["article"]
    return [
        f"/api/v1/fact-checks/{check}/claimreview",
        f"/api/v1/articles/{article}/claimreview",
        f"/fact-checks/{check}",
        f"/fact-checks/{check}/embed",
        f"/articles/{article}",
    ]


def test_the_claimreview_of_a_retracted_fact_check_is_gone_for_everyone(
    client: FlaskClient, writer: dict[str, str], story: dict[str, int], redis_server: RedisServer
) -> None:
    path = f"/api/v1/fact-checks/{story['retracted']}/claimreview"
    retraction = client.get(f"/api/v1/fact-checks/{story['retracted']}").get_json()["retraction"]
    for headers in ({}, writer, {}):
        body = assert_problem(client.get(path, headers=headers), 410)
        assert body["type"] == "urn:factcheck:problem:retracted"
        assert body["title"] == "Gone"
        assert retraction["date"] in body["detail"] and NOTE in body["detail"]
    assert redis_server.client().keys(f"*doc:fc:{story['retracted']}:ld") == []
    # The fact-check itself stays readable, with its retraction.
    assert client.get(f"/api/v1/fact-checks/{story['retracted']}").status_code == 200


def test_the_page_keeps_the_notice_and_carries_no_claimreview(
    client: FlaskClient, story: dict[str, int]
) -> None:
    url = f"{SITE}/fact-checks/{story['retracted']}"
    response = client.get(url)
    assert response.status_code == 200
    page = parse(response)
    assert page.findall(".//script") == []
    html = response.get_data(as_text=True)
    found = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata", "rdfa"])
    assert found["json-ld"] == [] and found["microdata"] == []
    assert texts(page, ".//section[@class='banner']/p[@class='banner-note']") == [NOTE]
    (description,) = page.findall(".//meta[@name='description']")
    assert description.get("content") == "Retracted: " + FACT_CHECK["claimReviewed"]
    assert "/claimreview" not in html, "no link to markup that is gone"


def test_the_card_says_retracted_and_shows_no_verdict(
    client: FlaskClient, story: dict[str, int]
) -> None:
    card = parse(client.get(f"/fact-checks/{story['retracted']}/embed"))
    assert texts(card, ".//p[@class='verdict-line']/span") == ["Retracted"]
    verdict = FACT_CHECK["rating"]["alternateName"]
    assert verdict not in "".join(card.itertext())
    assert card.findall(".//span[@class='score']") == []


def test_the_articles_array_and_page_leave_the_verdict_out(
    client: FlaskClient, story: dict[str, int]
) -> None:
    reviews = client.get(f"/api/v1/articles/{story['article']}/claimreview").get_json()
    assert [review["url"] for review in reviews] == ["https://desk.example.org/checks/kept"]
    listing = parse(client.get(f"/articles/{story['article']}"))
    chips = texts(listing, ".//ol[@class='claims']/li/p[@class='verdict-line']")
    assert chips == [FACT_CHECK["rating"]["alternateName"], "Retracted"]


def test_the_feed_keeps_its_tombstone(client: FlaskClient, story: dict[str, int]) -> None:
    feed = client.get("/api/v1/feed", query_string={"pageSize": 100}).get_json()
    (tombstone,) = [
        element
        for element in feed["dataFeedElement"]
        if element["@id"] == f"{SITE}/api/v1/fact-checks/{story['retracted']}"
    ]
    assert "dateDeleted" in tombstone and "item" not in tombstone


def test_the_openapi_document_names_the_410(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/fact-checks/{fact_check_id}/claimreview"]["get"]
    assert "410" in responses["responses"]
