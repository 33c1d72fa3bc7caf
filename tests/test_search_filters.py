"""Filters on the fact-check list, claims:search and the feed: one meaning on the three, 400
problem+json naming unknown parameters and bad values, and in the OpenAPI document. On SQLite,
and on PostgreSQL with TEST_DATABASE_URL."""

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.storage.db import db
from factcheck.storage.models import FactCheck

from .checks import published_check
from .conftest import FACT_CHECK, new_organization

ROUTES = ["/api/v1/fact-checks", "/api/v1/claims:search", "/api/v1/feed"]
TRUE = {"ratingValue": 5, "bestRating": 5, "worstRating": 1, "alternateName": "True"}


def claims(client: FlaskClient, route: str, **params: Any) -> set[str]:
    response = client.get(route, query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    if route.endswith("fact-checks"):
        return {check["claimReviewed"] for check in body}
    if route.endswith("feed"):
        return {e["item"]["claimReviewed"] for e in body["dataFeedElement"] if "item" in e}
    return {claim["text"] for claim in body.get("claims", [])}


@pytest.fixture
def corpus(app: Flask, client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Oil prices fell", claimant="Jane Roe", claim_date="2024-01-10")
    published_check(
        client,
        writer,
        "Oil exports doubled",
        language="de-AT",
        rating=TRUE,
        claim_date="2023-06-01",
    )
    published_check(client, writer, "Oil is cheaper", language="de", claimant="jane roe")
    published_check(client, writer, "Oil drafts hide", draft=True, language="de")
    rival = new_organization(app, "rival")
    old = published_check(client, rival, "Oil was rationed", rating=TRUE, claim_date="2020-02-02")
    with app.app_context():
        check = db.session.get(FactCheck, old["id"])
        check.date_published = datetime(2021, 3, 4, 23, 30, tzinfo=UTC)
        db.session.commit()


CASES = [
    ({"inLanguage": "de"}, {"Oil exports doubled", "Oil is cheaper"}),
    ({"inLanguage": "de-AT"}, {"Oil exports doubled", "Oil is cheaper"}),
    ({"claimant": "JANE ROE"}, {"Oil prices fell", "Oil is cheaper"}),
    ({"rating": "true"}, {"Oil exports doubled", "Oil was rationed"}),
    ({"rating": "5"}, {"Oil exports doubled", "Oil was rationed"}),
    ({"rating": FACT_CHECK["rating"]["alternateName"]}, {"Oil prices fell", "Oil is cheaper"}),
    (
        {"claimDateFrom": "2023-06-01", "claimDateTo": "2024-01-10"},
        {"Oil exports doubled", "Oil prices fell"},
    ),
    ({"claimDateTo": "2023-06-01"}, {"Oil exports doubled", "Oil was rationed"}),
    ({"publishedFrom": "2021-03-04", "publishedTo": "2021-03-04"}, {"Oil was rationed"}),
    ({"publishedFrom": "2021-03-05"}, {"Oil prices fell", "Oil exports doubled", "Oil is cheaper"}),
    ({"organization": "rival"}, {"Oil was rationed"}),
    ({"organization": "nobody"}, set()),
    ({"inLanguage": "de", "rating": "True"}, {"Oil exports doubled"}),
]


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("params", "expected"), CASES)
def test_a_filter_means_the_same_on_every_route(
    client: FlaskClient, route: str, params: dict[str, str], expected: set[str]
) -> None:
    assert claims(client, route, **params) == expected


@pytest.mark.usefixtures("corpus")
def test_filters_narrow_a_ranked_search(client: FlaskClient) -> None:
    route = "/api/v1/claims:search"
    assert claims(client, route, query="oil", inLanguage="de") == {
        "Oil exports doubled",
        "Oil is cheaper",
    }
    assert claims(client, route, query="oil exports", inLanguage="de") == {"Oil exports doubled"}
    assert claims(client, route, query="oil exports", organization="rival") == set()


@pytest.mark.usefixtures("corpus")
def test_the_feeds_next_link_keeps_its_filters(client: FlaskClient) -> None:
    response = client.get("/api/v1/feed", query_string={"inLanguage": "de", "pageSize": 1})
    assert "inLanguage=de" in response.headers["Link"]


BAD = [
    ({"inLangauge": "de"}, "inLangauge"),
    ({"inLanguage": "!!"}, "inLanguage"),
    ({"claimDateFrom": "yesterday"}, "claimDateFrom"),
    ({"publishedTo": "2024-02-30"}, "publishedTo"),
    ({"claimDateFrom": "2024-02-01", "claimDateTo": "2024-01-01"}, "claimDateTo"),
    ({"rating": ""}, "rating"),
    ({"pageSize": "0"}, "pageSize"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("params", "named"), BAD)
def test_unknown_parameters_and_bad_values_are_400_naming_them(
    client: FlaskClient, route: str, params: dict[str, str], named: str
) -> None:
    response = (
        client.get(route, query_string={"query": "oil", **params})
        if "search" in route
        else (client.get(route, query_string=params))
    )
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert named in [error["parameter"] for error in response.get_json()["errors"]]


@pytest.mark.parametrize("path", ["/api/v1/fact-checks", "/api/v1/claims:search", "/api/v1/feed"])
def test_the_filters_are_in_the_openapi_document(client: FlaskClient, path: str) -> None:
    operation = client.get("/api/openapi.json").get_json()["paths"][path]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {
        "inLanguage",
        "claimant",
        "rating",
        "claimDateFrom",
        "claimDateTo",
        "publishedFrom",
        "publishedTo",
        "organization",
    } <= names
    assert "400" in operation["responses"]
