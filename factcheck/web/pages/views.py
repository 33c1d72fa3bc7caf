"""HTML for people and crawlers: fact-check pages, iframe cards, article pages and oEmbed.

core/reads.py decides what each page shows and caches it; these views only render. The ClaimReview
block is the API's own document bytes, so a crawler reading the page and a client reading the API
see the same. Every link they write is absolute on SITE_URL and built from the URL map alone
(`site_link`): nothing of the request (its Host, SCRIPT_NAME, forwarded headers) reaches bytes that
are cached and served to everyone.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup, escape
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from factcheck.core import claimreview, organizations, reads, scales
from factcheck.core.documents import json_document
from factcheck.core.urls import normalize
from factcheck.problems import BadRequest, NotFound
from factcheck.schemas.pages import OEmbedArgsSchema
from factcheck.storage.documents import Document
from factcheck.storage.models import Article, FactCheck, Organization, RatingScale
from factcheck.web import auth, responses
from factcheck.web.errors import problem, validation_errors
from factcheck.web.pages.verdict import verdict

blp = Blueprint("pages", __name__, template_folder="templates")

# No script runs on these pages: the JSON-LD block is data, which CSP does not govern.
_STRICT = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
_STRICT += "form-action 'none'"
PAGE_CSP = _STRICT + "; frame-ancestors 'none'"
EMBED_CSP = _STRICT + "; frame-ancestors *"

# Inside <script>, only `<` can start `</script>` or `<!--`; `>` and `&` are escaped too, so the
# block also survives an XML parser, and U+2028/U+2029 for pre-ES2019 JavaScript readers.
# Each is replaced by its JSON escape, which decodes to the same string.
SCRIPT_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)

EMBED_WIDTH, EMBED_HEIGHT = 480, 230
NOT_OURS = "The URL is not a fact-check page of this service."


def script_json(text: str) -> Markup:
    """JSON text made safe to place inside a <script> element, equal to the input once parsed."""
    return Markup(text.translate(SCRIPT_ESCAPES))


@blp.get("/fact-checks/<id:fact_check_id>")
@auth.public
def fact_check(fact_check_id: int) -> Response:
    def render(check: FactCheck, document: Document | None) -> str:
        return render_template(
            "fact_check.html",
            check=check,
            verdict=verdict(check),
            json_ld=script_json(document.body.decode()) if document is not None else None,
            canonical_url=claimreview.canonical_url(check, reads.site_url()),
            page_url=page_url(check.id),
            oembed_url=site_link("pages.oembed", url=page_url(check.id), format="json"),
            correction_names=claimreview.CORRECTION_NAMES,
        )

    page = reads.fact_check_page(fact_check_id, render)
    return html_response(page, PAGE_CSP, {"X-Frame-Options": "DENY"})


@blp.get("/fact-checks/<id:fact_check_id>/embed")
@auth.public
def fact_check_embed(fact_check_id: int) -> Response:
    def render(check: FactCheck) -> str:
        return render_template(
            "embed.html",
            check=check,
            verdict=verdict(check),
            canonical_url=claimreview.canonical_url(check, reads.site_url()),
            page_url=page_url(check.id),
        )

    return html_response(reads.fact_check_card(fact_check_id, render), EMBED_CSP)


@blp.get("/articles/<id:article_id>")
@auth.public
def article(article_id: int) -> Response:
    def render(found: Article, checks: list[FactCheck]) -> str:
        return render_template(
            "article.html",
            article=found,
            checks=[(check, verdict(check)) for check in checks],
        )

    page = reads.article_page(article_id, render)
    return html_response(page, PAGE_CSP, {"X-Frame-Options": "DENY"})


@blp.get("/organizations/<slug>")
@auth.public
def organization(slug: str) -> Response:
    """Who the fact-checker is: its policies, its rating scale with the definitions, its latest
    fact-checks."""

    def render(found: Organization, scale: RatingScale | None, recent: Sequence[FactCheck]) -> str:
        return render_template(
            "organization.html",
            organization=found,
            scale=scale.scale if scale is not None else scales.from_checking(found.rating_scale),
            scale_version=found.rating_scale_version,
            checks=[(check, verdict(check)) for check in recent],
        )

    page = organizations.organization_page(slug, render)
    return html_response(page, PAGE_CSP, {"X-Frame-Options": "DENY"})


@blp.get("/oembed")
@auth.public
def oembed() -> Response:
    """oEmbed 1.0 for a fact-check page: a `rich` answer whose HTML is the card's iframe."""
    try:
        args = OEmbedArgsSchema().load(request.args.to_dict())
    except ValidationError as error:
        raise BadRequest(
            "The oEmbed request does not pass validation; see `errors`.",
            errors=validation_errors({"query": error.messages}),
        ) from None
    if args["format_"] != "json":
        return problem(501, "Only format=json is served.", slug="format-not-implemented")
    check = reads.fact_check_for(None, fact_check_id_of(args["url"]))
    width = min(EMBED_WIDTH, args.get("maxwidth", EMBED_WIDTH))
    height = min(EMBED_HEIGHT, args.get("maxheight", EMBED_HEIGHT))
    organization = check.organization
    answer = {
        "version": "1.0",
        "type": "rich",
        "title": check.claim_reviewed,
        "author_name": organization.name,
        "author_url": organization.url,
        "provider_name": organization.name,
        "provider_url": organization.url,
        "html": iframe(check, width, height),
        "width": width,
        "height": height,
    }
    return responses.document(json_document(answer))


def iframe(check: FactCheck, width: int, height: int) -> str:
    """The card in an iframe that has no scripts and may only open the full page in a new tab."""
    src = site_link("pages.fact_check_embed", fact_check_id=check.id)
    return (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" '
        f'title="{escape("Fact-check: " + check.claim_reviewed)}" frameborder="0" loading="lazy" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>'
    )


def fact_check_id_of(url: str) -> int:
    """The id of the fact-check whose page (or card) `url` names; 404 for anything else."""
    try:
        site, given = normalize(current_app.config["SITE_URL"]), normalize(url)
    except ValueError:
        raise NotFound(NOT_OURS) from None
    path = given.removeprefix(site)
    if path == given or not path.startswith("/") or "?" in path:
        raise NotFound(NOT_OURS)
    try:
        # The app's own routes decide what a page URL is, ids bounded as the routes bound them.
        endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        endpoint, values = "", {}
    if endpoint not in {"pages.fact_check", "pages.fact_check_embed"}:
        raise NotFound(NOT_OURS)
    found: int = values["fact_check_id"]
    return found


# --- HTTP details ----------------------------------------------------------------------------


def site_link(endpoint: str, **values: Any) -> str:
    """The absolute URL of a route on SITE_URL. Unlike url_for in a request, it takes nothing
    from the request: the map is bound to a fixed host and an empty script name."""
    adapter = current_app.url_map.bind("site.invalid", script_name="/")
    return reads.site_url() + adapter.build(endpoint, values)


def page_url(fact_check_id: int) -> str:
    return site_link("pages.fact_check", fact_check_id=fact_check_id)


def html_response(page: Document, csp: str, extra: dict[str, str] | None = None) -> Response:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        **(extra or {}),
    }
    return responses.document(page, headers)


def long_date(value: date | datetime | str | None) -> str:
    """`17 March 2022`: unambiguous for readers of any English."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%B %Y}"


def iso_date(value: date | datetime | str | None) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    return value.isoformat()
