"""HTML for people and crawlers: fact-check pages, iframe cards, article pages and oEmbed.

Views read through the service, as the API's do, then render; the ClaimReview block is the API's
own document bytes, so a crawler reading the page and a client reading the API see the same.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from markupsafe import Markup, escape
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from . import service
from .documents import Document
from .errors import BadRequest, NotFound, problem, validation_errors
from .models import FactCheck
from .responses import not_modified
from .schemas import OEmbedArgsSchema
from .urls import normalize

blp = Blueprint("pages", __name__)

# No script runs on these pages: the JSON-LD block is data, which CSP does not govern.
_STRICT = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
_STRICT += "form-action 'none'"
PAGE_CSP = _STRICT + "; frame-ancestors 'none'"
EMBED_CSP = _STRICT + "; frame-ancestors *"
PAGE_CACHE = "public, max-age=60, must-revalidate"

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
# The number of steps drawn one by one; a wider scale shows its numbers instead.
MAX_DRAWN_STEPS = 11
TONES = 4
# An article page lists at most this many of its fact-checks.
MAX_LISTED = 100
NOT_OURS = "The URL is not a fact-check page of this service."


def script_json(text: str) -> Markup:
    """JSON text made safe to place inside a <script> element, equal to the input once parsed."""
    return Markup(text.translate(SCRIPT_ESCAPES))


# --- the verdict on the organization's scale -------------------------------------------------


@dataclass(frozen=True)
class Step:
    value: int
    label: str
    tone: str
    current: bool


@dataclass(frozen=True)
class Verdict:
    label: str
    tone: str
    value: int | None
    worst: int | None
    best: int | None
    steps: list[Step]

    @property
    def worst_label(self) -> str | None:
        return self.steps[0].label if self.steps else None

    @property
    def best_label(self) -> str | None:
        return self.steps[-1].label if self.steps else None


def verdict(check: FactCheck) -> Verdict:
    """The rating placed on the organization's scale: its labels, and a colour per position."""
    scale = check.organization.rating_scale or {}
    labels = {item["ratingValue"]: item["alternateName"] for item in scale.get("labels", [])}
    worst = check.worst_rating if check.worst_rating is not None else scale.get("worstRating")
    best = check.best_rating if check.best_rating is not None else scale.get("bestRating")
    steps: list[Step] = []
    current = check.rating_value
    if isinstance(worst, int) and isinstance(best, int) and 0 < best - worst < MAX_DRAWN_STEPS:
        steps = [
            Step(step, labels.get(step, str(step)), _tone(step, worst, best), step == current)
            for step in range(worst, best + 1)
        ]
    value, tone = check.rating_value, "tone-off"
    if value is not None and isinstance(worst, int) and isinstance(best, int) and best > worst:
        tone = _tone(value, worst, best)
    return Verdict(check.alternate_name or "", tone, value, worst, best, steps)


def _tone(value: int, worst: int, best: int) -> str:
    return f"tone-{round((value - worst) / (best - worst) * TONES)}"


# --- views -----------------------------------------------------------------------------------


@blp.get("/fact-checks/<id:fact_check_id>")
def fact_check(fact_check_id: int) -> Response:
    def build() -> str:
        document = service.fact_check_claimreview(None, fact_check_id)
        check = service.fact_check_for(None, fact_check_id)
        return render_template(
            "fact_check.html",
            check=check,
            verdict=verdict(check),
            json_ld=script_json(document.body.decode()),
            page_url=page_url(check.id),
            oembed_url=site_url(url_for(".oembed", url=page_url(check.id), format="json")),
        )

    html = service.public_page(f"fc:{fact_check_id}", build)
    return html_response(html, PAGE_CSP, {"X-Frame-Options": "DENY"})


@blp.get("/fact-checks/<id:fact_check_id>/embed")
def fact_check_embed(fact_check_id: int) -> Response:
    def build() -> str:
        check = service.fact_check_for(None, fact_check_id)
        return render_template(
            "embed.html", check=check, verdict=verdict(check), page_url=page_url(check.id)
        )

    return html_response(service.public_page(f"fc:{fact_check_id}:embed", build), EMBED_CSP)


@blp.get("/articles/<id:article_id>")
def article(article_id: int) -> Response:
    def build() -> str:
        found = service.article_for(None, article_id)
        checks, _ = service.list_fact_checks(None, 1, MAX_LISTED, article_id=found.id)
        in_reading_order = sorted(
            checks, key=lambda c: (c.quote_offset is None, c.quote_offset, c.id)
        )
        return render_template(
            "article.html",
            article=found,
            checks=[(check, verdict(check)) for check in in_reading_order],
        )

    html = service.public_page(f"article:{article_id}", build)
    return html_response(html, PAGE_CSP, {"X-Frame-Options": "DENY"})


@blp.get("/oembed")
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
    check = service.fact_check_for(None, fact_check_id_of(args["url"]))
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
    body = service.serialize(answer)
    return cacheable_response(body, service.content_etag(body), "application/json", {})


def iframe(check: FactCheck, width: int, height: int) -> str:
    """The card in an iframe that has no scripts and may only open the full page in a new tab."""
    src = site_url(url_for(".fact_check_embed", fact_check_id=check.id))
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


def site_url(path: str) -> str:
    return str(current_app.config["SITE_URL"]) + path


def page_url(fact_check_id: int) -> str:
    return site_url(f"/fact-checks/{fact_check_id}")


def html_response(page: Document, csp: str, extra: dict[str, str] | None = None) -> Response:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        **(extra or {}),
    }
    return cacheable_response(page.body, page.etag, "text/html", headers)


def cacheable_response(body: bytes, etag: str, mimetype: str, headers: dict[str, str]) -> Response:
    """The body with its strong ETag, or a 304 when the client has it already."""
    headers = {**headers, "ETag": etag, "Cache-Control": PAGE_CACHE}
    return not_modified(etag, headers) or Response(body, mimetype=mimetype, headers=headers)


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


def init_app(app: Flask) -> None:
    """After api.init_app, which registers the `id` URL converter these routes use."""
    app.add_template_filter(long_date)
    app.add_template_filter(iso_date)
    app.register_blueprint(blp)
