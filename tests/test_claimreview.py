import json
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.core import claimreview
from factcheck.storage import store
from factcheck.storage.models import FactCheck

from .conftest import ROOT
from .jsonld import check_claimreview_profile, expand, nodes, one

CLAIMREVIEW_SCHEMA = json.loads((ROOT / "schemas" / "claimreview.json").read_text())
SEED_CLAIMS = json.loads((ROOT / "seeds" / "trt-world-2022-03-17.json").read_text())["factChecks"]


def test_the_seed_article_lists_with_thirteen_published_claimreviews(
    client: FlaskClient, seeded: list[str]
) -> None:
    (article,) = client.get("/api/v1/articles").get_json()
    response = client.get(f"/api/v1/articles/{article['id']}/claimreview")
    assert response.mimetype == "application/ld+json"
    documents = response.get_json()
    assert len(documents) == 13
    assert {d["url"] for d in documents} == {claim["url"] for claim in SEED_CLAIMS}


def test_every_seed_claimreview_passes_the_profile_when_expanded(
    client: FlaskClient, seeded: list[str]
) -> None:
    checks = client.get("/api/v1/fact-checks", query_string={"pageSize": 100}).get_json()
    assert len(checks) == 13
    for check in checks:
        response = client.get(f"/api/v1/fact-checks/{check['id']}/claimreview")
        document = response.get_json()
        jsonschema.validate(document, CLAIMREVIEW_SCHEMA)
        (node,) = expand(document)
        check_claimreview_profile(node)
        rating = nodes(node, "reviewRating")[0]
        assert one(rating, "ratingValue") == check["rating"]["ratingValue"]
        assert one(rating, "alternateName") == check["rating"]["alternateName"]
        assert one(node, "claimReviewed") == check["claimReviewed"]


def test_the_seed_passes_the_profile_with_no_warnings(app: Flask, seeded: list[str]) -> None:
    with app.app_context():
        checks, _ = store.fact_checks(None, 1, 100)
        for check in checks:
            assert claimreview.profile_problems(check) == ([], [])


def test_seed_quotes_sit_at_their_offsets(app: Flask, seeded: list[str]) -> None:
    with app.app_context():
        checks, _ = store.fact_checks(None, 1, 100)
        for check in checks:
            text = check.article.text
            assert text is not None and check.quote is not None and check.quote_offset is not None
            assert text[check.quote_offset : check.quote_offset + len(check.quote)] == check.quote


def test_the_profile_check_fails_on_a_broken_document(
    client: FlaskClient, seeded: list[str]
) -> None:
    """The expanded-graph check must be able to fail, or it proves nothing."""
    check = client.get("/api/v1/fact-checks").get_json()[0]
    document = client.get(f"/api/v1/fact-checks/{check['id']}/claimreview").get_json()
    document["reviewRating"]["ratingValue"] = 9
    with pytest.raises(AssertionError):
        check_claimreview_profile(expand(document)[0])
    del document["citation"]
    with pytest.raises(AssertionError):
        check_claimreview_profile(expand(document)[0])


def test_render_is_a_pure_function_of_stored_data(app: Flask, seeded: list[str]) -> None:
    with app.app_context():
        check = store.get(FactCheck, store.fact_checks(None, 1, 1)[0][0].id)
        assert check is not None
        site = app.config["SITE_URL"]
        assert claimreview.render(check, site) == claimreview.render(check, site)
        rendered: dict[str, Any] = claimreview.render(check, site)
    assert rendered["@context"] == "https://schema.org"
    assert rendered["author"]["url"] == "https://factcheck.example.org/"
    assert rendered["itemReviewed"]["appearance"][0]["@type"] == "NewsArticle"
    assert "url" not in rendered["itemReviewed"]["appearance"][0], "the article URL is unknown"


def test_seed_is_idempotent(runner: Any, client: FlaskClient) -> None:
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "13 new fact-checks" in first.output
    assert "0 new fact-checks" in second.output
    assert client.get("/api/v1/fact-checks").headers["X-Total-Count"] == "13"
