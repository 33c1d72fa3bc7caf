"""Fact-check pages, embed cards, article pages and oEmbed, read as browsers and crawlers do."""

import json
from typing import Any
from xml.etree.ElementTree import Element

import extruct
import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from factcheck.core.organizations import organization as find_organization
from factcheck.storage import store
from factcheck.storage.models import FactCheck
from factcheck.web.pages import verdict, views

from .conftest import ARTICLE, FACT_CHECK, create_article, create_fact_check, publish
from .jsonld import check_claimreview_profile, expand
from .test_errors import assert_problem
from .test_organizations_admin import key_of

SITE = "http://factcheck.test"
UNESCAPES = {
    "\\u003c": "<",
    "\\u003e": ">",
    "\\u0026": "&",
    "\\u2028": "\u2028",
    "\\u2029": "\u2029",
}


def parse(response: Any) -> Element:
    document: Element = html5lib.parse(
        response.get_data(as_text=True), treebuilder="etree", namespaceHTMLElements=False
    )
    return document


def the_json_ld(document: Element) -> tuple[str, Any]:
    """The page's one script element, which must be ClaimReview data: (raw text, parsed)."""
    scripts = document.findall(".//script")
    assert len(scripts) == 1, f"{len(scripts)} script elements"
    (script,) = scripts
    assert script.get("type") == "application/ld+json"
    text = script.text or ""
    return text, json.loads(text)


def text_of(document: Element, path: str) -> str:
    element = document.find(path)
    assert element is not None, path
    return "".join(element.itertext())


def seed_ids(client: FlaskClient) -> list[int]:
    checks = client.get("/api/v1/fact-checks", query_string={"pageSize": 100}).get_json()
    return [check["id"] for check in checks]


def published(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    article_id = create_article(client, headers).get_json()["id"]
    draft = create_fact_check(client, headers, article_id, **fields)
    response = publish(client, headers, draft)
    assert response.status_code == 200, response.get_json()
    return response


# --- the JSON-LD block ---------------------------------------------------------------------


def test_each_seed_page_carries_the_api_claimreview_byte_for_byte(
    client: FlaskClient, seeded: list[str]
) -> None:
    ids = seed_ids(client)
    assert len(ids) == 13
    for fact_check_id in ids:
        page = client.get(f"/fact-checks/{fact_check_id}")
        assert page.status_code == 200
        assert page.mimetype == "text/html"
        raw, parsed = the_json_ld(parse(page))
        api = client.get(f"/api/v1/fact-checks/{fact_check_id}/claimreview")
        for escaped, character in UNESCAPES.items():
            raw = raw.replace(escaped, character)
        assert raw.encode() == api.data
        assert parsed == api.get_json()


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
)
def test_script_json_leaves_no_markup_and_parses_back_equal(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    escaped = views.script_json(text)
    assert not set("<>&\u2028\u2029") & set(escaped)
    assert json.loads(escaped) == value


HOSTILE = [
    "</script>",
    "</SCRIPT >",
    "</script",
    "<!--",
    "-->",
    "<script>",
    "<script src=//evil.example/x.js></script>",
    '"',
    "'",
    "&",
    "&amp;",
    "&lt;/script&gt;",
    "\u2028",
    "\u2029",
    "\\",
    "\\u003c",
    "]]>",
    "</style>",
    "<![CDATA[",
    "{{ 7 * 7 }}",
]
# The API refuses C0/C1 controls and lone surrogates (§5), so the rest of Unicode is fair game.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8)
# Non-empty, and short enough for the tightest limit (alternateName, 100 characters).
HOSTILE_TEXT = (
    st.lists(st.sampled_from(HOSTILE) | ANY_TEXT, min_size=1, max_size=5)
    .map("".join)
    .filter(lambda text: 0 < len(text) <= 100)
)
HOSTILE_FIELDS = (
    "headline author publisher claim quote claimant jobTitle alternateName ratingExplanation "
    "reviewBody evidenceTitle evidencePublisher evidenceQuote correction retraction "
    "organization definition"
).split()
# URL paths may carry every hostile character that is not whitespace.
HOSTILE_PATH = "/checks/</script><!--<script>\"'&\u2028\u2029"


def name_on_scale(app: Flask, client: FlaskClient, value: int, label: str, definition: str) -> None:
    """A new version of desk's scale (1 to 5) where `value` is `label`, defined as `definition`."""
    labels = [
        {"ratingValue": step, "alternateName": f"Step {step}", "definition": f"Step {step}."}
        for step in range(1, 6)
    ]
    labels[value - 1].update(alternateName=label, definition=definition)
    scale = {"worstRating": 1, "bestRating": 5, "labels": labels}
    response = client.post(
        "/api/v1/organizations/desk/rating-scales", json=scale, headers=key_of(app, "desk", "admin")
    )
    assert response.status_code == 201, response.get_json()


def hostile_organization(app: Flask, client: FlaskClient, texts: dict[str, str]) -> None:
    """desk's name and every policy URL of its, hostile."""
    urls = {
        name: f"https://desk.example.org/{name}{HOSTILE_PATH}"
        for name in (
            "logo correctionsPolicy publishingPrinciples methodology ownershipFundingInfo "
            "errorReportingUrl"
        ).split()
    }
    body = {
        **urls,
        "name": texts["organization"],
        "sameAs": ["https://social.example" + HOSTILE_PATH],
    }
    response = client.patch(
        "/api/v1/organizations/desk",
        json=body,
        headers={**key_of(app, "desk", "admin"), "If-Match": "*"},
    )
    assert response.status_code == 200, response.get_json()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.fixed_dictionaries({name: HOSTILE_TEXT for name in HOSTILE_FIELDS}),
    retract=st.booleans(),
)
def test_hostile_text_in_every_field_cannot_break_the_page(
    app: Flask, client: FlaskClient, writer: dict[str, str], texts: dict[str, str], retract: bool
) -> None:
    # A verdict is a label of the organization's scale, so the scale names the hostile one.
    name_on_scale(
        app,
        client,
        FACT_CHECK["rating"]["ratingValue"],
        texts["alternateName"],
        texts["definition"],
    )
    hostile_organization(app, client, texts)
    article = create_article(
        client,
        writer,
        url=None,
        headline=texts["headline"],
        author=texts["author"],
        publisher={"name": texts["publisher"], "url": "https://news.example.com" + HOSTILE_PATH},
        text=f"Before. {texts['quote']} After.",
    ).get_json()
    evidence = {
        "url": "https://evidence.example.com" + HOSTILE_PATH,
        "title": texts["evidenceTitle"],
        "publisher": texts["evidencePublisher"],
        "quote": texts["evidenceQuote"],
        "archivedUrl": "https://archive.example.org" + HOSTILE_PATH,
        "relation": "refutes",
    }
    draft = create_fact_check(
        client,
        writer,
        article["id"],
        claimReviewed=texts["claim"],
        quote=texts["quote"],
        claimAuthor={"name": texts["claimant"], "type": "Person", "jobTitle": texts["jobTitle"]},
        rating={**FACT_CHECK["rating"], "alternateName": texts["alternateName"]},
        reviewBody=texts["reviewBody"],
        evidence=[evidence],
        url="https://desk.example.org" + HOSTILE_PATH,
    )
    fact_check_id = draft.get_json()["id"]
    publication = publish(client, writer, draft)
    assert publication.status_code == 200, publication.get_json()
    corrected = client.patch(
        f"/api/v1/fact-checks/{fact_check_id}",
        json={
            "rating": {**FACT_CHECK["rating"], "alternateName": texts["alternateName"]},
            "evidence": [evidence, {"url": "https://more.example.com" + HOSTILE_PATH}],
            "correction": texts["correction"],
        },
        headers={**writer, "If-Match": publication.headers["ETag"]},
    )
    assert corrected.status_code == 200, corrected.get_json()
    if retract:
        retracted = client.post(
            f"/api/v1/fact-checks/{fact_check_id}/retract",
            json={"note": texts["retraction"]},
            headers={**writer, "If-Match": corrected.headers["ETag"]},
        )
        assert retracted.status_code == 200, retracted.get_json()

    page = parse(client.get(f"/fact-checks/{fact_check_id}"))
    if retract:
        # The markup is withdrawn: only the page's visible text is left to check.
        assert page.findall(".//script") == []
        check_visible_text(client, page, texts, fact_check_id, article["id"], retract)
        return
    raw, document = the_json_ld(page)
    assert not set("<>&\u2028\u2029") & set(raw)
    assert document == client.get(f"/api/v1/fact-checks/{fact_check_id}/claimreview").get_json()
    # ... and equal to what was stored, field by field.
    assert document["claimReviewed"] == texts["claim"]
    assert document["reviewBody"] == texts["reviewBody"]
    assert document["url"] == "https://desk.example.org" + HOSTILE_PATH
    assert document["reviewRating"]["alternateName"] == texts["alternateName"]
    assert (
        document["reviewRating"]["ratingExplanation"] == FACT_CHECK["rating"]["ratingExplanation"]
    )
    claim = document["itemReviewed"]
    assert claim["author"] == {
        "@type": "Person",
        "name": texts["claimant"],
        "jobTitle": texts["jobTitle"],
    }
    appearance = claim["appearance"][0]
    assert appearance["headline"] == texts["headline"]
    assert appearance["author"]["name"] == texts["author"]
    assert appearance["publisher"]["name"] == texts["publisher"]
    citation = document["citation"][0]
    assert (citation["name"], citation["text"]) == (texts["evidenceTitle"], texts["evidenceQuote"])
    assert citation["publisher"]["name"] == texts["evidencePublisher"]
    assert citation["archivedAt"] == "https://archive.example.org" + HOSTILE_PATH
    notes = [comment["text"] for comment in document["correction"]]
    assert notes == [texts["correction"]]
    assert document["author"]["name"] == texts["organization"]
    assert document["author"]["sameAs"] == ["https://social.example" + HOSTILE_PATH]
    check_visible_text(client, page, texts, fact_check_id, article["id"], retract)


def check_visible_text(
    client: FlaskClient,
    page: Element,
    texts: dict[str, str],
    fact_check_id: int,
    article_id: int,
    retract: bool,
) -> None:
    """The visible text is the stored text too: escaped, not interpreted."""
    assert text_of(page, ".//h1") == texts["claim"]
    assert text_of(page, ".//blockquote[@class='quote']") == texts["quote"]
    assert text_of(page, ".//ol[@class='corrections']/li").endswith(": " + texts["correction"])
    assert text_of(page, ".//p[@class='organization']/a") == texts["organization"]
    definition = f"{texts['alternateName']}: {texts['definition']}"
    assert text_of(page, ".//p[@class='definition']") == definition
    organization = parse(client.get("/organizations/desk"))
    assert organization.findall(".//script") == []
    assert text_of(organization, ".//h1") == texts["organization"]
    shown = [
        "".join(dd.itertext())
        for dd in organization.findall(".//dl[@class='scale-definitions']/dd")
    ]
    assert texts["definition"] in shown
    if retract:
        assert (
            text_of(page, ".//section[@class='banner']/p[@class='banner-note']")
            == texts["retraction"]
        )
    card = parse(client.get(f"/fact-checks/{fact_check_id}/embed"))
    assert card.findall(".//script") == []
    assert text_of(card, ".//p[@class='card-claim']") == texts["claim"]
    listing = parse(client.get(f"/articles/{article_id}"))
    assert listing.findall(".//script") == []
    assert text_of(listing, ".//h1") == texts["headline"]
    assert text_of(listing, ".//p[@class='claim']/a") == texts["claim"]


def test_without_the_escaping_hostile_text_breaks_the_page(
    client: FlaskClient, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The property above must be able to fail: unescaped, the same checks catch the damage."""
    check = published(client, writer, claimReviewed="Ends early</script><script>x()</script>")
    monkeypatch.setattr(views, "script_json", Markup)
    page = parse(client.get(f"/fact-checks/{check.get_json()['id']}"))
    with pytest.raises((AssertionError, json.JSONDecodeError)):
        the_json_ld(page)


# --- crawlers' view ------------------------------------------------------------------------


def claimreviews_found_by_extruct(html: str, url: str) -> list[dict[str, Any]]:
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata", "rdfa"])
    found = [item for item in data["json-ld"] if item.get("@type") == "ClaimReview"]
    found += [item for item in data["microdata"] if "ClaimReview" in str(item.get("type"))]
    return found


def test_extruct_finds_exactly_one_valid_claimreview_per_seed_page(
    client: FlaskClient, seeded: list[str]
) -> None:
    for fact_check_id in seed_ids(client):
        url = f"{SITE}/fact-checks/{fact_check_id}"
        html = client.get(url).get_data(as_text=True)
        (document,) = claimreviews_found_by_extruct(html, url)
        (node,) = expand(document)
        check_claimreview_profile(node)


def test_extruct_finds_none_on_cards_and_article_pages(
    client: FlaskClient, seeded: list[str]
) -> None:
    """The card and the article page point to the fact-check pages instead of repeating them."""
    fact_check_id = seed_ids(client)[0]
    (article,) = client.get("/api/v1/articles").get_json()
    for path in (f"/fact-checks/{fact_check_id}/embed", f"/articles/{article['id']}"):
        response = client.get(path)
        assert response.status_code == 200
        assert claimreviews_found_by_extruct(response.get_data(as_text=True), SITE + path) == []


# --- pages and cards -------------------------------------------------------------------------


def test_a_page_shows_claim_verdict_on_the_scale_evidence_and_article_link(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer).get_json()
    page = parse(client.get(f"/fact-checks/{check['id']}"))
    assert page.get("lang") == "en"
    assert page.find(".//main") is not None and page.find(".//header") is not None
    assert text_of(page, ".//h1") == FACT_CHECK["claimReviewed"]
    (current,) = page.findall(".//ol[@class='scale']/li[@aria-current='true']")
    assert "".join(current.itertext()).split() == ["2", "Mostly", "false"]
    assert [li.get("class") for li in page.findall(".//ol[@class='scale']/li")] == [
        "tone-0",
        "tone-1 current",
        "tone-2",
        "tone-3",
        "tone-4",
    ]
    (evidence,) = page.findall(".//ol[@class='evidence']/li")
    assert evidence.find("a").get("href") == "https://stats.example.gov/cpi"  # type: ignore[union-attr]
    links = [a.get("href") for a in page.iter("a")]
    assert f"{SITE}/articles/{check['articleId']}" in links
    assert text_of(page, ".//section[@aria-labelledby='corrections']/p") == "None."
    assert page.find(".//section[@class='banner']") is None


@pytest.mark.parametrize(
    ("change", "kind", "name"),
    [
        ({"rating": {"ratingValue": 1, "alternateName": "False"}}, None, "Correction"),
        ({"rating": {"ratingExplanation": "Put better."}}, "clarification", "Clarification"),
        ({"reviewBody": "The office has since revised the series."}, "update", "Update"),
    ],
)
def test_corrections_are_typed_on_the_page_and_in_the_claimreview(
    client: FlaskClient,
    writer: dict[str, str],
    change: dict[str, Any],
    kind: str | None,
    name: str,
) -> None:
    check = published(client, writer)
    path = f"/api/v1/fact-checks/{check.get_json()['id']}"
    typed = {"correctionKind": kind} if kind else {}
    response = client.patch(
        path,
        json={**change, "correction": "What changed.", **typed},
        headers={**writer, "If-Match": check.headers["ETag"]},
    )
    assert response.status_code == 200, response.get_json()
    assert [(c["kind"], c["note"]) for c in response.get_json()["corrections"]] == [
        (kind or "correction", "What changed.")
    ]
    (comment,) = client.get(path + "/claimreview").get_json()["correction"]
    assert (comment["name"], comment["text"]) == (name, "What changed.")
    page = parse(client.get(path.removeprefix("/api/v1")))
    (item,) = page.findall(".//ol[@class='corrections']/li")
    assert text_of(item, ".//span[@class='correction-kind']") == name
    assert item.get("class") == f"correction-{kind or 'correction'}"


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({"reviewBody": "Edited.", "correctionKind": "update"}, 422, "/correctionKind"),
        (
            {"reviewBody": "Edited.", "correction": "x", "correctionKind": "erratum"},
            422,
            "/correctionKind",
        ),
    ],
)
def test_a_correction_kind_is_one_of_three_and_goes_with_a_note(
    client: FlaskClient, writer: dict[str, str], body: dict[str, Any], status: int, pointer: str
) -> None:
    check = published(client, writer)
    response = client.patch(
        f"/api/v1/fact-checks/{check.get_json()['id']}",
        json=body,
        headers={**writer, "If-Match": check.headers["ETag"]},
    )
    problem = assert_problem(response, status)
    assert [error["pointer"] for error in problem["errors"]] == [pointer]


def test_a_public_note_needs_a_key_that_may_publish(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer)
    response = client.patch(
        f"/api/v1/fact-checks/{check.get_json()['id']}",
        json={"reviewBody": "Edited.", "correction": "Reworded.", "correctionKind": "update"},
        headers={**key_of(app, "desk", "write"), "If-Match": check.headers["ETag"]},
    )
    assert_problem(response, 403)


def test_the_verdict_is_shown_with_its_definition(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    name_on_scale(app, client, 2, "Mostly false", "Partly right, mostly wrong.")
    page = parse(client.get(f"/fact-checks/{published(client, writer).get_json()['id']}"))
    assert text_of(page, ".//p[@class='definition']") == "Mostly false: Partly right, mostly wrong."
    labels = [
        text_of(li, ".//span[@class='step-label']")
        for li in page.findall(".//ol[@class='scale']/li")
    ]
    assert labels == ["Step 1", "Mostly false", "Step 3", "Step 4", "Step 5"]


def test_a_page_takes_the_language_of_the_fact_check(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer, inLanguage="tr").get_json()
    assert parse(client.get(f"/fact-checks/{check['id']}")).get("lang") == "tr"
    assert parse(client.get(f"/fact-checks/{check['id']}/embed")).get("lang") == "tr"


def test_a_retracted_page_shows_the_banner_and_the_corrections_log(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer)
    fact_check_id = check.get_json()["id"]
    corrected = client.patch(
        f"/api/v1/fact-checks/{fact_check_id}",
        json={
            "rating": {**FACT_CHECK["rating"], "ratingValue": 1, "alternateName": "False"},
            "correction": "Revised figures.",
        },
        headers={**writer, "If-Match": check.headers["ETag"]},
    )
    client.post(
        f"/api/v1/fact-checks/{fact_check_id}/retract",
        json={"note": "The series was withdrawn."},
        headers={**writer, "If-Match": corrected.headers["ETag"]},
    )
    response = client.get(f"/fact-checks/{fact_check_id}")
    assert response.status_code == 200
    page = parse(response)
    assert (
        text_of(page, ".//section[@class='banner']/p[@class='banner-note']")
        == "The series was withdrawn."
    )
    assert text_of(page, ".//ol[@class='corrections']/li").endswith(": Revised figures.")
    assert "tone-0 current" in [li.get("class") for li in page.findall(".//ol[@class='scale']/li")]
    card = parse(client.get(f"/fact-checks/{fact_check_id}/embed"))
    assert "Retracted" in [span.text for span in card.iter("span")]


def test_an_off_scale_rating_is_shown_without_a_position(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(
        client, writer, rating={"alternateName": "Unproven", "ratingExplanation": "No data."}
    ).get_json()
    page = parse(client.get(f"/fact-checks/{check['id']}"))
    assert page.findall(".//ol[@class='scale']/li[@aria-current]") == []
    assert text_of(page, ".//span[@class='chip tone-off']") == "Unproven"


@pytest.mark.parametrize(
    ("value", "worst", "best", "tone"),
    [
        (1, 1, 5, "tone-0"),
        (3, 1, 5, "tone-2"),
        (5, 1, 5, "tone-4"),
        (2, 1, 3, "tone-2"),
        (7, 1, 10, "tone-3"),
    ],
)
def test_the_tone_follows_the_position_on_the_scale(
    app: Flask, writer: dict[str, str], value: int, worst: int, best: int, tone: str
) -> None:
    with app.app_context():
        check = FactCheck(
            rating_value=value, worst_rating=worst, best_rating=best, alternate_name="x"
        )
        check.organization = find_organization("desk")
        result = verdict.verdict(check)
        store.rollback()
    assert result.tone == tone
    assert [step.value for step in result.steps] == list(range(worst, best + 1))
    assert [step.value for step in result.steps if step.current] == [value]


def test_pages_send_csp_etag_cache_control_and_cors(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer).get_json()
    for path in (f"/fact-checks/{check['id']}", f"/articles/{check['articleId']}"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"].startswith("public")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_the_card_may_be_framed_anywhere(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published(client, writer).get_json()
    response = client.get(f"/fact-checks/{check['id']}/embed")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "default-src 'none'" in csp
    assert "X-Frame-Options" not in response.headers
    card = parse(response)
    (link,) = card.findall(".//p[@class='card-link']/a")
    assert link.get("href") == f"{SITE}/fact-checks/{check['id']}"
    assert link.get("target") == "_blank" and link.get("rel") == "noopener"


def test_drafts_have_no_pages(client: FlaskClient, writer: dict[str, str]) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    draft_id = create_fact_check(client, writer, article_id).get_json()["id"]
    for path in (
        f"/fact-checks/{draft_id}",
        f"/fact-checks/{draft_id}/embed",
        f"/articles/{article_id}",
    ):
        assert_problem(client.get(path), 404)
        # Not even to their own organization: the pages are for the public.
        assert_problem(client.get(path, headers=writer), 404)


@pytest.mark.parametrize(
    "path", ["/fact-checks/0", "/fact-checks/99999999999999", "/fact-checks/x", "/articles/7"]
)
def test_unknown_pages_are_problems(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404)


def test_the_article_page_lists_its_public_checks_in_reading_order(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(
        client, writer, text="First claim here. Then a second claim. A third, still a draft."
    ).get_json()["id"]
    made = [
        create_fact_check(client, writer, article_id, quote=quote, claimReviewed=claim, url=url)
        for quote, claim, url in [
            ("Then a second claim.", "Second", "https://desk.example.org/2"),
            ("First claim here.", "First", "https://desk.example.org/1"),
            ("A third, still a draft.", "Third", "https://desk.example.org/3"),
        ]
    ]
    for draft in made[:2]:
        assert publish(client, writer, draft).status_code == 200
    page = parse(client.get(f"/articles/{article_id}"))
    links = page.findall(".//ol[@class='claims']/li/p[@class='claim']/a")
    assert [(a.text, a.get("href")) for a in links] == [
        ("First", f"{SITE}/fact-checks/{made[1].get_json()['id']}"),
        ("Second", f"{SITE}/fact-checks/{made[0].get_json()['id']}"),
    ]
    assert text_of(page, ".//h1") == ARTICLE["headline"]


# --- oEmbed ----------------------------------------------------------------------------------


def test_oembed_answers_rich_json_with_the_card_iframe(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer).get_json()
    response = client.get("/oembed", query_string={"url": f"{SITE}/fact-checks/{check['id']}"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers and response.headers["Cache-Control"].startswith("public")
    body = response.get_json()
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert (body["width"], body["height"]) == (views.EMBED_WIDTH, views.EMBED_HEIGHT)
    assert body["provider_name"] == "Desk Checks"
    assert body["provider_url"] == "https://desk.example.org/"
    assert body["title"] == FACT_CHECK["claimReviewed"]
    fragment = html5lib.parseFragment(
        body["html"], treebuilder="etree", namespaceHTMLElements=False
    )
    (iframe,) = list(fragment)
    assert iframe.tag == "iframe"
    assert iframe.get("src") == f"{SITE}/fact-checks/{check['id']}/embed"
    assert (iframe.get("width"), iframe.get("height")) == (str(body["width"]), str(body["height"]))


def test_the_page_advertises_its_oembed_endpoint(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer).get_json()
    page = parse(client.get(f"/fact-checks/{check['id']}"))
    (link,) = page.findall(".//link[@type='application/json+oembed']")
    discovered = client.get(link.get("href", "").removeprefix(SITE))
    assert discovered.status_code == 200
    assert discovered.get_json()["type"] == "rich"


def test_oembed_respects_maxwidth_and_maxheight(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    check = published(client, writer).get_json()
    body = client.get(
        "/oembed",
        query_string={
            "url": f"{SITE}/fact-checks/{check['id']}",
            "maxwidth": 300,
            "maxheight": 2000,
        },
    ).get_json()
    assert (body["width"], body["height"]) == (300, views.EMBED_HEIGHT)
    assert 'width="300"' in body["html"]


@pytest.mark.parametrize(
    "url",
    [
        "{site}/fact-checks/{id}/",
        "HTTP://FACTCHECK.TEST/fact-checks/{id}?utm_source=feed",
        "{site}/fact-checks/{id}/embed",
    ],
)
def test_oembed_accepts_the_page_url_as_people_paste_it(
    client: FlaskClient, writer: dict[str, str], url: str
) -> None:
    check = published(client, writer).get_json()
    response = client.get("/oembed", query_string={"url": url.format(site=SITE, id=check["id"])})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/fact-checks/{id}",
        "{site}/api/v1/fact-checks/{id}",
        "{site}/fact-checks/99999999999999",
        "{site}/fact-checks/{id}?page=2",
        "{site}/articles/{id}",
        "not a url",
        "http://[::1",
    ],
)
def test_oembed_answers_404_for_urls_that_are_not_our_pages(
    client: FlaskClient, writer: dict[str, str], url: str
) -> None:
    check = published(client, writer).get_json()
    response = client.get("/oembed", query_string={"url": url.format(site=SITE, id=check["id"])})
    assert_problem(response, 404)


def test_oembed_answers_404_for_a_draft(client: FlaskClient, writer: dict[str, str]) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    draft_id = create_fact_check(client, writer, article_id).get_json()["id"]
    response = client.get("/oembed", query_string={"url": f"{SITE}/fact-checks/{draft_id}"})
    assert_problem(response, 404)


@pytest.mark.parametrize("format_", ["xml", "html", ""])
def test_oembed_answers_501_for_other_formats(
    client: FlaskClient, writer: dict[str, str], format_: str
) -> None:
    check = published(client, writer).get_json()
    response = client.get(
        "/oembed", query_string={"url": f"{SITE}/fact-checks/{check['id']}", "format": format_}
    )
    assert_problem(response, 501)


@pytest.mark.parametrize(
    "query", [{}, {"url": ""}, {"url": "x", "maxwidth": "wide"}, {"url": "x", "maxheight": "0"}]
)
def test_oembed_refuses_bad_parameters(client: FlaskClient, query: dict[str, str]) -> None:
    body = assert_problem(client.get("/oembed", query_string=query), 400)
    assert body["errors"]


# --- pages are cached like the JSON-LD --------------------------------------------------------


@pytest.mark.parametrize("kind", ["page", "card", "article"])
def test_pages_are_served_from_the_cache_and_change_with_a_correction(
    app: Flask, client: FlaskClient, writer: dict[str, str], kind: str
) -> None:
    from .test_cache import counting_queries

    check = published(client, writer).get_json()
    path = {
        "page": f"/fact-checks/{check['id']}",
        "card": f"/fact-checks/{check['id']}/embed",
        "article": f"/articles/{check['articleId']}",
    }[kind]
    first = client.get(path)
    with counting_queries(app) as statements:
        again = client.get(path)
    assert statements == [], "a cached page runs no SQL"
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]

    corrected = client.patch(
        f"/api/v1/fact-checks/{check['id']}",
        json={
            "rating": {**FACT_CHECK["rating"], "ratingValue": 4, "alternateName": "Mostly true"},
            "correction": "Newer figures.",
        },
        headers={**writer, "If-Match": "*"},
    )
    assert corrected.status_code == 200
    after = client.get(path)
    # The page may list the scale's labels as well; the verdict adds one more "Mostly true".
    assert after.data.count(b"Mostly true") > first.data.count(b"Mostly true")
    assert after.headers["ETag"] != first.headers["ETag"]
