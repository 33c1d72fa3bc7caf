"""Reading ClaimReview the way a consumer does: expand the JSON-LD against schema.org, offline,
and check the §3 profile on the expanded graph, so the check does not depend on our own layout."""

import json
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader

SCHEMA = "http://schema.org/"
CONTEXT = json.loads((Path(__file__).parent / "data" / "schemaorg-context.jsonld").read_text())
LOADER = FrozenDocumentLoader(
    {
        url: CONTEXT
        for url in (
            "https://schema.org",
            "https://schema.org/",
            "http://schema.org",
            "http://schema.org/",
        )
    }
)


def expand(document: Any) -> list[dict[str, Any]]:
    expanded: list[dict[str, Any]] = jsonld.expand(document, {"documentLoader": LOADER})
    return expanded


def values(node: dict[str, Any], term: str) -> list[Any]:
    return [
        item.get("@value", item.get("@id", item)) if isinstance(item, dict) else item
        for item in node.get(SCHEMA + term, [])
    ]


def one(node: dict[str, Any], term: str) -> Any:
    found = values(node, term)
    assert len(found) == 1, f"{term}: expected one value, got {found}"
    return found[0]


def nodes(node: dict[str, Any], term: str) -> list[dict[str, Any]]:
    return [item for item in node.get(SCHEMA + term, []) if isinstance(item, dict)]


def check_claimreview_profile(node: dict[str, Any]) -> None:
    """Raise AssertionError naming the first property of §3 that is missing or wrong."""
    assert node["@type"] == [SCHEMA + "ClaimReview"]
    assert one(node, "claimReviewed")
    assert str(one(node, "url")).startswith(("http://", "https://"))
    assert one(node, "datePublished") and one(node, "dateModified")
    assert one(node, "inLanguage")

    (author,) = nodes(node, "author")
    assert author["@type"] == [SCHEMA + "Organization"]
    assert one(author, "name") and str(one(author, "url")).startswith("http")

    (rating,) = nodes(node, "reviewRating")
    assert rating["@type"] == [SCHEMA + "Rating"]
    assert one(rating, "alternateName")
    if values(rating, "ratingValue"):
        worst, best, value = (one(rating, t) for t in ("worstRating", "bestRating", "ratingValue"))
        assert all(isinstance(number, int) for number in (worst, best, value))
        assert 1 <= worst < best and worst <= value <= best

    (claim,) = nodes(node, "itemReviewed")
    assert claim["@type"] == [SCHEMA + "Claim"]
    (claim_author,) = nodes(claim, "author")
    assert one(claim_author, "name")
    appearances = nodes(claim, "appearance")
    assert any(item["@type"] == [SCHEMA + "NewsArticle"] for item in appearances)
    assert nodes(claim, "firstAppearance")

    citations = nodes(node, "citation")
    assert citations, "at least one citation"
    assert any(str(one(c, "url")).startswith(("http://", "https://")) for c in citations)
