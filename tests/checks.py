"""Published fact-checks with chosen texts, for the search, match and feed tests."""

import itertools
from typing import Any

from flask.testing import FlaskClient

from .conftest import FACT_CHECK, create_article, create_fact_check, publish

_numbers = itertools.count(1)


def published_check(
    client: FlaskClient,
    headers: dict[str, str],
    claim: str,
    *,
    quote: str = "A sentence of the article.",
    claimant: str = "Someone",
    explanation: str = "Checked against the record.",
    body: str = "The record shows otherwise.",
    headline: str = "A story",
    language: str = "en",
    draft: bool = False,
    rating: dict[str, Any] | None = None,
    claim_date: str = FACT_CHECK["claimDate"],
) -> dict[str, Any]:
    """A fact-check in an article of its own; published unless `draft`. Its JSON, with `etag`."""
    number = next(_numbers)
    article = create_article(
        client,
        headers,
        url=f"https://news.example.com/story-{number}",
        headline=headline,
        text=f"Opening. {quote} Closing.",
        inLanguage=language,
    ).get_json()
    check = create_fact_check(
        client,
        headers,
        article["id"],
        claimReviewed=claim,
        quote=quote,
        claimAuthor={"name": claimant, "type": "Person"},
        rating={**(rating or FACT_CHECK["rating"]), "ratingExplanation": explanation},
        claimDate=claim_date,
        reviewBody=body,
        url=f"https://desk.example.org/checks/{number}",
        inLanguage=language,
    )
    if draft:
        return {**check.get_json(), "etag": check.headers["ETag"]}
    response = publish(client, headers, check)
    assert response.status_code == 200, response.get_json()
    return {**response.get_json(), "etag": response.headers["ETag"]}
