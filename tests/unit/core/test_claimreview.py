"""ClaimReview rendering and the publication profile, on model objects that no database holds."""

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from factcheck.core.claimreview import (
    MAX_CLAIM_REVIEWED,
    canonical_url,
    profile_problems,
    render,
)
from factcheck.storage.models import (
    DEFAULT_RATING_SCALE,
    Article,
    Correction,
    FactCheck,
    Organization,
)

SITE = "https://factcheck.example.org/"
ARTICLE_URL = "https://news.example.com/2022/03/17/china-russia"
CHECK_URL = SITE + "checks/china-knew"
PUBLISHED = datetime(2022, 3, 18, 9, 30, tzinfo=UTC)
# The service's own address (SITE_URL), on another domain than the organization's.
SERVICE = "https://checks.example.net"


def organization(**fields: Any) -> Organization:
    defaults: dict[str, Any] = {
        "slug": "example-desk",
        "name": "Example Desk",
        "url": SITE,
        "logo": None,
        "rating_scale": copy.deepcopy(DEFAULT_RATING_SCALE),
    }
    return Organization(**{**defaults, **fields})


def article(**fields: Any) -> Article:
    defaults: dict[str, Any] = {
        "url": ARTICLE_URL,
        "headline": "US says China may help Russia's war in Ukraine",
        "publisher": None,
        "author": None,
        "date_published": None,
        "in_language": "en",
    }
    return Article(**{**defaults, **fields})


def fact_check(**fields: Any) -> FactCheck:
    """A draft with what publishing needs and nothing else, so each test adds only its subject."""
    defaults: dict[str, Any] = {
        "organization": organization(),
        "article": article(),
        "corrections": [],
        "claim_reviewed": "China knew of Russia's plans before the invasion",
        "url": CHECK_URL,
        "in_language": "en",
        "rating_value": 2,
        "best_rating": 5,
        "worst_rating": 1,
        "alternate_name": "Mostly false",
        "rating_explanation": None,
        "review_body": None,
        "claim_author": None,
        "claim_date": None,
        "claim_appearances": [],
        "claim_first_appearance": None,
        "evidence": [{"url": "https://intel.example.gov/2022/briefing"}],
        "date_published": None,
        "date_modified": None,
        "date_retracted": None,
        "retraction_note": None,
        "id": 7,
    }
    return FactCheck(**{**defaults, **fields})


def full_fact_check() -> FactCheck:
    """Every property the ClaimReview can carry."""
    return fact_check(
        organization=organization(
            logo=SITE + "logo.png", same_as=["https://www.wikidata.org/wiki/Q1"]
        ),
        article=article(
            author="A. Reporter",
            publisher={"name": "TRT World", "url": "https://news.example.com/"},
            date_published=date(2022, 3, 17),
        ),
        corrections=[
            Correction(note="The date was wrong.", kind="correction", date_created=PUBLISHED)
        ],
        review_body="US officials said so; no source showed Beijing knew.",
        rating_explanation="Officials claimed it without evidence.",
        claim_author={
            "name": "Jake Sullivan",
            "kind": "Person",
            "job_title": "National Security Advisor",
            "same_as": ["https://people.example.org/sullivan"],
        },
        claim_date=date(2022, 3, 16),
        claim_appearances=["https://tv.example.com/interview"],
        claim_first_appearance="https://tv.example.com/interview",
        evidence=[
            {
                "url": "https://intel.example.gov/2022/briefing",
                "title": "Briefing",
                "publisher": "Intel Office",
                "date_published": "2022-03-15",
                "quote": "We have no evidence.",
                "archived_url": "https://archive.example.org/briefing",
                "relation": "refutes",
            }
        ],
        date_published=PUBLISHED,
        date_modified=datetime(2022, 3, 19, 8, 0, tzinfo=UTC),
        date_retracted=datetime(2022, 3, 20, 10, 0, tzinfo=UTC),
        retraction_note="The source withdrew it.",
    )


NEWS_ARTICLE = {
    "@type": "NewsArticle",
    "url": ARTICLE_URL,
    "headline": "US says China may help Russia's war in Ukraine",
}


def empty_values(value: Any, pointer: str = "") -> list[str]:
    """JSON pointers of every None, [] and {} in `value`."""
    if value is None or value == [] or value == {}:
        return [pointer]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in empty_values(item, f"{pointer}/{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in empty_values(item, f"{pointer}/{i}")]
    return []


# Rendering


def rendered(check: FactCheck) -> dict[str, Any]:
    return render(check, SERVICE)


@pytest.mark.parametrize("check", [fact_check(), full_fact_check()], ids=["least", "full"])
def test_the_document_is_a_schema_org_claimreview(check: FactCheck) -> None:
    document = rendered(check)
    assert (document["@context"], document["@type"]) == ("https://schema.org", "ClaimReview")


def test_every_property_of_a_full_fact_check_is_rendered() -> None:
    assert rendered(full_fact_check()) == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": CHECK_URL,
        "claimReviewed": "China knew of Russia's plans before the invasion",
        "author": {
            "@type": "Organization",
            "name": "Example Desk",
            "url": SITE,
            "logo": SITE + "logo.png",
            "sameAs": ["https://www.wikidata.org/wiki/Q1"],
        },
        "datePublished": "2022-03-18T09:30:00+00:00",
        "dateModified": "2022-03-19T08:00:00+00:00",
        "inLanguage": "en",
        "reviewBody": "US officials said so; no source showed Beijing knew.",
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 2,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Mostly false",
            "ratingExplanation": "Officials claimed it without evidence.",
        },
        "itemReviewed": {
            "@type": "Claim",
            "author": {
                "@type": "Person",
                "name": "Jake Sullivan",
                "jobTitle": "National Security Advisor",
                "sameAs": ["https://people.example.org/sullivan"],
            },
            "datePublished": "2022-03-16",
            "appearance": [
                {
                    **NEWS_ARTICLE,
                    "datePublished": "2022-03-17",
                    "author": {"@type": "Person", "name": "A. Reporter"},
                    "publisher": {
                        "@type": "Organization",
                        "name": "TRT World",
                        "url": "https://news.example.com/",
                    },
                },
                {"@type": "CreativeWork", "url": "https://tv.example.com/interview"},
            ],
            "firstAppearance": {"@type": "CreativeWork", "url": "https://tv.example.com/interview"},
        },
        "citation": [
            {
                "@type": "CreativeWork",
                "url": "https://intel.example.gov/2022/briefing",
                "name": "Briefing",
                "publisher": {"@type": "Organization", "name": "Intel Office"},
                "datePublished": "2022-03-15",
                "text": "We have no evidence.",
                "archivedAt": "https://archive.example.org/briefing",
            }
        ],
        "correction": [
            {
                "@type": "CorrectionComment",
                "name": "Correction",
                "text": "The date was wrong.",
                "datePublished": "2022-03-18T09:30:00+00:00",
            },
        ],
    }


def test_properties_come_in_schema_orgs_order() -> None:
    # The served bytes, and so their ETag, follow this order.
    assert list(rendered(full_fact_check())) == [
        "@context",
        "@type",
        "url",
        "claimReviewed",
        "author",
        "datePublished",
        "dateModified",
        "inLanguage",
        "reviewBody",
        "reviewRating",
        "itemReviewed",
        "citation",
        "correction",
    ]


def test_a_fact_check_with_only_what_publishing_needs_renders_only_that() -> None:
    assert rendered(fact_check()) == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": CHECK_URL,
        "claimReviewed": "China knew of Russia's plans before the invasion",
        "author": {"@type": "Organization", "name": "Example Desk", "url": SITE},
        "inLanguage": "en",
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 2,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Mostly false",
        },
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [NEWS_ARTICLE],
            "firstAppearance": NEWS_ARTICLE,
        },
        "citation": [{"@type": "CreativeWork", "url": "https://intel.example.gov/2022/briefing"}],
    }


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"url": None, "alternate_name": None, "rating_value": None},
        {"rating_value": None, "best_rating": None, "worst_rating": None},
        {"evidence": []},
        {"evidence": [{"url": "https://a.example/", "title": None, "publisher": None}]},
        {"claim_author": {}},
        {"claim_author": {"name": "Someone", "job_title": None, "same_as": []}},
        {"claim_appearances": None},
        {"article": article(url=None, publisher={}, author="")},
        {"organization": organization(url=None, logo=None)},
    ],
    ids=[
        "least",
        "draft-without-url-or-rating",
        "rating-off-the-scale",
        "no-evidence",
        "evidence-with-nulls",
        "empty-claim-author",
        "claim-author-with-nulls",
        "null-appearances",
        "bare-article",
        "organization-without-url",
    ],
)
def test_no_null_or_empty_value_is_rendered(fields: dict[str, Any]) -> None:
    assert empty_values(rendered(fact_check(**fields))) == []


@pytest.mark.parametrize(
    ("fields", "rating"),
    [
        (
            {},
            {
                "@type": "Rating",
                "ratingValue": 2,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": "Mostly false",
            },
        ),
        (
            {
                "rating_value": None,
                "best_rating": None,
                "worst_rating": None,
                "alternate_name": "Unproven",
            },
            {"@type": "Rating", "alternateName": "Unproven"},
        ),
        (
            {"rating_explanation": "Too early to tell."},
            {
                "@type": "Rating",
                "ratingValue": 2,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": "Mostly false",
                "ratingExplanation": "Too early to tell.",
            },
        ),
    ],
    ids=["on-the-scale", "off-the-scale", "with-explanation"],
)
def test_the_rating(fields: dict[str, Any], rating: dict[str, Any]) -> None:
    assert rendered(fact_check(**fields))["reviewRating"] == rating


@pytest.mark.parametrize(
    ("claim_author", "author"),
    [
        ({"name": "Wang Wenbin"}, {"@type": "Person", "name": "Wang Wenbin"}),
        (
            {"name": "Wang Wenbin", "kind": "Person", "job_title": "Spokesperson"},
            {"@type": "Person", "name": "Wang Wenbin", "jobTitle": "Spokesperson"},
        ),
        (
            {"name": "Xinhua", "kind": "Organization", "same_as": ["https://xinhua.example/"]},
            {"@type": "Organization", "name": "Xinhua", "sameAs": ["https://xinhua.example/"]},
        ),
    ],
    ids=["person-by-default", "person", "organization"],
)
def test_the_claim_author(claim_author: dict[str, Any], author: dict[str, Any]) -> None:
    claim = rendered(fact_check(claim_author=claim_author))["itemReviewed"]
    assert claim["author"] == author


@pytest.mark.parametrize("claim_author", [None, {}], ids=["none", "empty"])
def test_a_claim_without_author_has_no_author(claim_author: dict[str, Any] | None) -> None:
    assert "author" not in rendered(fact_check(claim_author=claim_author))["itemReviewed"]


def test_the_claim_date_is_the_claims_date_published() -> None:
    claim = rendered(fact_check(claim_date=date(2022, 3, 16)))["itemReviewed"]
    assert claim["datePublished"] == "2022-03-16"


def test_the_article_appears_first_then_the_other_appearances_in_order() -> None:
    urls = ["https://tv.example.com/a", "https://radio.example.com/b"]
    claim = rendered(fact_check(claim_appearances=urls))["itemReviewed"]
    assert claim["appearance"] == [
        NEWS_ARTICLE,
        {"@type": "CreativeWork", "url": urls[0]},
        {"@type": "CreativeWork", "url": urls[1]},
    ]


@pytest.mark.parametrize("appearances", [[], ["https://tv.example.com/a"]], ids=["alone", "with"])
def test_the_first_appearance_is_the_article_by_default(appearances: list[str]) -> None:
    claim = rendered(fact_check(claim_appearances=appearances))["itemReviewed"]
    assert claim["firstAppearance"] == NEWS_ARTICLE


def test_a_first_appearance_given_is_a_creative_work() -> None:
    claim = rendered(fact_check(claim_first_appearance="https://tv.example.com/a"))["itemReviewed"]
    assert claim["firstAppearance"] == {"@type": "CreativeWork", "url": "https://tv.example.com/a"}


@pytest.mark.parametrize(
    ("fields", "node"),
    [
        ({"author": "A. Reporter"}, {"author": {"@type": "Person", "name": "A. Reporter"}}),
        (
            {"publisher": {"name": "TRT World"}},
            {"publisher": {"@type": "Organization", "name": "TRT World"}},
        ),
        ({"date_published": date(2022, 3, 17)}, {"datePublished": "2022-03-17"}),
    ],
    ids=["author", "publisher", "date"],
)
def test_the_article_node(fields: dict[str, Any], node: dict[str, Any]) -> None:
    claim = rendered(fact_check(article=article(**fields)))["itemReviewed"]
    assert claim["appearance"][0] == {**NEWS_ARTICLE, **node}


@pytest.mark.parametrize(
    ("item", "citation"),
    [
        (
            {"url": "https://a.example/", "title": "A report"},
            {"@type": "CreativeWork", "url": "https://a.example/", "name": "A report"},
        ),
        (
            {"url": "https://a.example/", "archived_url": "https://archive.example/a"},
            {
                "@type": "CreativeWork",
                "url": "https://a.example/",
                "archivedAt": "https://archive.example/a",
            },
        ),
        (
            {"url": "https://a.example/", "publisher": "Agency"},
            {
                "@type": "CreativeWork",
                "url": "https://a.example/",
                "publisher": {"@type": "Organization", "name": "Agency"},
            },
        ),
        (
            {"url": "https://a.example/", "quote": "Words.", "date_published": "2022-03-15"},
            {
                "@type": "CreativeWork",
                "url": "https://a.example/",
                "text": "Words.",
                "datePublished": "2022-03-15",
            },
        ),
        (
            {"url": "https://a.example/", "relation": "supports"},
            {"@type": "CreativeWork", "url": "https://a.example/"},
        ),
    ],
    ids=["title-is-name", "archived-url-is-archived-at", "publisher", "quote-and-date", "relation"],
)
def test_evidence_is_cited(item: dict[str, Any], citation: dict[str, Any]) -> None:
    assert rendered(fact_check(evidence=[item]))["citation"] == [citation]


def test_evidence_is_cited_in_order() -> None:
    urls = ["https://b.example/", "https://a.example/"]
    citations = rendered(fact_check(evidence=[{"url": url} for url in urls]))["citation"]
    assert [citation["url"] for citation in citations] == urls


def test_corrections_are_correction_comments_in_order() -> None:
    corrections = [
        Correction(
            note="First.", kind="correction", date_created=datetime(2022, 3, 19, tzinfo=UTC)
        ),
        Correction(note="Second.", kind="update", date_created=datetime(2022, 3, 20, tzinfo=UTC)),
        Correction(
            note="Third.", kind="clarification", date_created=datetime(2022, 3, 21, tzinfo=UTC)
        ),
    ]
    assert rendered(fact_check(corrections=corrections))["correction"] == [
        {
            "@type": "CorrectionComment",
            "name": "Correction",
            "text": "First.",
            "datePublished": "2022-03-19T00:00:00+00:00",
        },
        {
            "@type": "CorrectionComment",
            "name": "Update",
            "text": "Second.",
            "datePublished": "2022-03-20T00:00:00+00:00",
        },
        {
            "@type": "CorrectionComment",
            "name": "Clarification",
            "text": "Third.",
            "datePublished": "2022-03-21T00:00:00+00:00",
        },
    ]


def test_a_retraction_is_never_a_correction_comment() -> None:
    """A retracted fact-check's ClaimReview is not served at all (410), so rendering one never
    turns its retraction into markup that would keep the verdict alive."""
    check = fact_check(
        corrections=[Correction(note="First.", date_created=PUBLISHED)],
        date_retracted=datetime(2022, 3, 21, 12, 0, tzinfo=UTC),
        retraction_note="The source withdrew it.",
    )
    assert [comment["text"] for comment in rendered(check)["correction"]] == ["First."]


def test_a_fact_check_never_corrected_has_no_correction() -> None:
    assert "correction" not in rendered(fact_check())


# The publication profile


def problem(pointer: str, detail: str) -> dict[str, str]:
    return {"pointer": pointer, "detail": detail}


def test_a_fact_check_with_what_publishing_needs_has_no_problem() -> None:
    assert profile_problems(fact_check()) == ([], [])


def test_the_full_fact_check_has_no_problem() -> None:
    assert profile_problems(full_fact_check()) == ([], [])


REQUIRED = "Required to publish."
NEEDS_SCALE = "A rating on a scale needs bestRating and worstRating."
BETWEEN = "Must lie between worstRating (1) and bestRating (5)."
HTTP_EVIDENCE = "At least one evidence item with an http(s) URL."


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"claim_reviewed": ""}, problem("/claimReviewed", REQUIRED)),
        ({"alternate_name": None}, problem("/rating/alternateName", REQUIRED)),
        ({"alternate_name": ""}, problem("/rating/alternateName", REQUIRED)),
        ({"rating_value": 6}, problem("/rating/ratingValue", BETWEEN)),
        ({"rating_value": 0}, problem("/rating/ratingValue", BETWEEN)),
        (
            {"rating_value": None},
            problem("/rating/ratingValue", "A rating with a scale needs a ratingValue."),
        ),
        ({"best_rating": None}, problem("/rating/bestRating", NEEDS_SCALE)),
        ({"worst_rating": None}, problem("/rating/worstRating", NEEDS_SCALE)),
        (
            {"worst_rating": 5, "rating_value": 5},
            problem("/rating/worstRating", "Needs 1 <= worstRating < bestRating."),
        ),
        (
            {"worst_rating": 0},
            problem("/rating/worstRating", "Needs 1 <= worstRating < bestRating."),
        ),
        ({"evidence": []}, problem("/evidence", HTTP_EVIDENCE)),
        (
            {"evidence": [{"url": "ftp://files.example/a"}, {"url": "mailto:desk@example.org"}]},
            problem("/evidence", HTTP_EVIDENCE),
        ),
    ],
    ids=[
        "no-claim",
        "no-alternate-name",
        "empty-alternate-name",
        "value-above-best",
        "value-below-worst",
        "no-value-on-a-scale",
        "no-best",
        "no-worst",
        "worst-not-below-best",
        "worst-below-one",
        "no-evidence",
        "no-http-evidence",
    ],
)
def test_an_error_blocks_publishing(fields: dict[str, Any], error: dict[str, str]) -> None:
    assert profile_problems(fact_check(**fields)) == ([error], [])


@pytest.mark.parametrize("url", [None, ""], ids=["none", "empty"])
def test_a_fact_check_without_a_page_of_its_own_publishes_on_the_services_page(
    url: str | None,
) -> None:
    """Its canonical URL is the service's page, which is not expected on the desk's domain."""
    check = fact_check(url=url)
    assert profile_problems(check) == ([], [])
    assert rendered(check)["url"] == canonical_url(check, SERVICE) == SERVICE + "/fact-checks/7"


def test_the_organizations_own_page_is_the_canonical_url() -> None:
    assert canonical_url(fact_check(), SERVICE) == CHECK_URL
    assert rendered(fact_check())["url"] == CHECK_URL


def test_a_rating_off_the_scale_needs_no_numbers() -> None:
    check = fact_check(
        rating_value=None, best_rating=None, worst_rating=None, alternate_name="Unproven"
    )
    assert profile_problems(check) == ([], [])


def test_one_http_evidence_item_is_enough() -> None:
    evidence = [{"url": "ftp://files.example/a"}, {"url": "http://a.example/"}]
    assert profile_problems(fact_check(evidence=evidence)) == ([], [])


def test_every_error_is_listed_in_field_order() -> None:
    check = fact_check(
        claim_reviewed="", url=None, alternate_name=None, rating_value=9, evidence=[]
    )
    errors, _ = profile_problems(check)
    assert [error["pointer"] for error in errors] == [
        "/claimReviewed",
        "/rating/alternateName",
        "/rating/ratingValue",
        "/evidence",
    ]


LONG = f"Longer than {MAX_CLAIM_REVIEWED} characters; search results cut it."
OFF_SITE = "Not on the organization's domain."


def rating_words(*words: str) -> str:
    return f"Contains rating words ({', '.join(words)}); state the claim, not the verdict."


@pytest.mark.parametrize(
    ("fields", "warnings"),
    [
        ({"claim_reviewed": "x" * 76}, [problem("/claimReviewed", LONG)]),
        ({"claim_reviewed": "x" * 75}, []),
        (
            {"claim_reviewed": "The minister's claim is mostly false"},
            [problem("/claimReviewed", rating_words("false", "mostly false"))],
        ),
        (
            {"claim_reviewed": "A TRUE account of the talks"},
            [problem("/claimReviewed", rating_words("true"))],
        ),
        (
            {"claim_reviewed": "This satire site reported the talks"},
            [problem("/claimReviewed", rating_words("satire"))],
        ),
        ({"claim_reviewed": "Falsehoods and untruths spread about the talks"}, []),
        (
            {
                "organization": organization(
                    rating_scale={"labels": [{"ratingValue": 1, "alternateName": "Pants on fire!"}]}
                ),
                "claim_reviewed": "Pants on fire! says the minister",
            },
            [problem("/claimReviewed", rating_words("pants on fire!"))],
        ),
        (
            {"claim_reviewed": "It is true: " + "x" * 70},
            [problem("/claimReviewed", LONG), problem("/claimReviewed", rating_words("true"))],
        ),
        (
            {"organization": organization(rating_scale={}), "claim_reviewed": "It is false"},
            [],
        ),
        ({"url": "https://elsewhere.example.net/checks/1"}, [problem("/url", OFF_SITE)]),
        ({"url": "https://notfactcheck.example.org/checks/1"}, [problem("/url", OFF_SITE)]),
        ({"url": "https://factcheck.example.org.evil.example/c"}, [problem("/url", OFF_SITE)]),
        ({"url": "https://www.factcheck.example.org/checks/1"}, []),
        ({"url": "https://FactCheck.Example.org/checks/1"}, []),
        (
            {"organization": organization(url="https://www.desk.example/")},
            [problem("/url", OFF_SITE)],
        ),
        (
            {
                "organization": organization(url="https://www.desk.example/"),
                "url": "https://desk.example/checks/1",
            },
            [],
        ),
    ],
    ids=[
        "claim-of-76",
        "claim-of-75",
        "rating-words",
        "rating-word-any-case",
        "off-scale-word",
        "words-that-contain-rating-words",
        "label-ending-in-punctuation",
        "long-with-rating-word",
        "scale-without-labels",
        "other-domain",
        "lookalike-domain",
        "domain-as-prefix",
        "subdomain",
        "host-case",
        "organization-elsewhere",
        "organization-with-www",
    ],
)
def test_a_warning_does_not_block_publishing(
    fields: dict[str, Any], warnings: list[dict[str, str]]
) -> None:
    assert profile_problems(fact_check(**fields)) == ([], warnings)
