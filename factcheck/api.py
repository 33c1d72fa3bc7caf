"""The JSON API under /api/v1: parse with a schema, make one service call, shape the response."""

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, request, url_for
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from werkzeug.routing import IntegerConverter

from . import auth, idempotency, service
from .errors import NotFound, PreconditionFailed, PreconditionRequired
from .models import Article, FactCheck
from .parsing import StrictJSONParser
from .responses import not_modified
from .schemas import (
    ArticleListArgsSchema,
    ArticleSchema,
    ArticleSummarySchema,
    ClaimReviewSchema,
    FactCheckListArgsSchema,
    FactCheckPatchSchema,
    FactCheckSchema,
    OrganizationSchema,
    PageArgsSchema,
    PublicationSchema,
    PublishSchema,
    RetractSchema,
    RevisionSchema,
    for_patch,
)
from .service import Actor


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictJSONParser()


class IdConverter(IntegerConverter):
    """Row ids: an id past the database's integer range is simply not found, not an overflow."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


MAX_ID = 2**31 - 1


blp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Fact-checks and articles")
# Every POST takes an Idempotency-Key; see idempotency.py.
blp.before_request(idempotency.begin)
blp.after_request(idempotency.finish)
blp.teardown_request(idempotency.abandon)

PUBLIC_CACHE = "public, max-age=60, must-revalidate"
PRIVATE_CACHE = "private, no-cache"
IF_MATCH_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": "The ETag you last read, or `*`.",
        }
    ]
}
WRITE_DOC = {"security": auth.SECURITY}
POST_DOC = {"security": auth.SECURITY, "parameters": [idempotency.DOC]}
POST_IF_MATCH_DOC = {
    "security": auth.SECURITY,
    "parameters": [*IF_MATCH_DOC["parameters"], idempotency.DOC],
}
ETAG_PATTERN = re.compile(r"^(?P<kind>article|fact-check)-(?P<id>\d+)-v(?P<version>\d+)$")


# --- organizations ---------------------------------------------------------------------------


@blp.route("/organizations/<slug>")
class OrganizationResource(MethodView):
    @blp.response(200, OrganizationSchema)
    def get(self, slug: str) -> Any:
        """Show a fact-checking organization and its rating scale"""
        return document_response(service.organization_document(slug))


# --- articles --------------------------------------------------------------------------------


@blp.route("/articles")
class ArticleCollection(MethodView):
    @blp.arguments(ArticleListArgsSchema, location="query")
    @blp.response(200, ArticleSummarySchema(many=True))
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, args: dict[str, Any]) -> Any:
        """List articles, or find one by its URL with `?url=`"""
        actor = auth.actor_from_header()
        items, total = service.list_articles(
            actor, args["page"], args["page_size"], url=args.get("url")
        )
        return paged(items, total, args)

    @blp.arguments(ArticleSchema)
    @blp.response(201, ArticleSchema)
    @blp.doc(**POST_DOC)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a news article whose claims will be checked"""
        article = service.create_article(auth.require("write"), data)
        return created(article, url_for("api.ArticleResource", article_id=article.id))


@blp.route("/articles/<id:article_id>")
class ArticleResource(MethodView):
    @blp.response(200, ArticleSchema)
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, article_id: int) -> Any:
        """Show an article"""
        article = service.article_for(auth.actor_from_header(), article_id)
        return conditional(article, etag_of(article), PRIVATE_CACHE)

    @blp.arguments(for_patch(ArticleSchema))
    @blp.response(200, ArticleSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def patch(self, data: dict[str, Any], article_id: int) -> Any:
        """Change some fields of an article"""
        article = service.update_article(
            auth.require("write"), article_id, expected_version("article", article_id), data
        )
        return article, {"ETag": etag_of(article)}

    @blp.response(204)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def delete(self, article_id: int) -> Any:
        """Delete an article that has no fact-checks"""
        service.delete_article(
            auth.require("write"), article_id, expected_version("article", article_id)
        )


@blp.route("/articles/<id:article_id>/fact-checks")
class ArticleFactChecks(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, FactCheckSchema(many=True))
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, args: dict[str, Any], article_id: int) -> Any:
        """List the fact-checks of an article"""
        items, total = service.list_fact_checks(
            auth.actor_from_header(), args["page"], args["page_size"], article_id=article_id
        )
        return paged(items, total, args)

    @blp.arguments(FactCheckSchema)
    @blp.response(201, FactCheckSchema)
    @blp.doc(**POST_DOC)
    def post(self, data: dict[str, Any], article_id: int) -> Any:
        """Add a draft fact-check of one claim in the article"""
        check = service.create_fact_check(auth.require("write"), article_id, data)
        return created(check, url_for("api.FactCheckResource", fact_check_id=check.id))


@blp.route("/articles/<id:article_id>/claimreview")
class ArticleClaimReviews(MethodView):
    @blp.response(200, ClaimReviewSchema(many=True), content_type="application/ld+json")
    def get(self, article_id: int) -> Any:
        """The article's published fact-checks as a JSON array of ClaimReview"""
        return document_response(
            public_first(lambda actor: service.article_claimreviews(actor, article_id))
        )


# --- fact-checks -----------------------------------------------------------------------------


@blp.route("/fact-checks")
class FactCheckCollection(MethodView):
    @blp.arguments(FactCheckListArgsSchema, location="query")
    @blp.response(200, FactCheckSchema(many=True))
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, args: dict[str, Any]) -> Any:
        """List fact-checks, or find one by its page URL with `?url=`"""
        items, total = service.list_fact_checks(
            auth.actor_from_header(),
            args["page"],
            args["page_size"],
            status=args.get("status"),
            url=args.get("url"),
        )
        return paged(items, total, args)


@blp.route("/fact-checks/<id:fact_check_id>")
class FactCheckResource(MethodView):
    @blp.response(200, FactCheckSchema)
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, fact_check_id: int) -> Any:
        """Show a fact-check (drafts only to their own organization)"""
        return document_response(
            public_first(lambda actor: service.fact_check_document(actor, fact_check_id))
        )

    @blp.arguments(for_patch(FactCheckPatchSchema))
    @blp.response(200, FactCheckSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def patch(self, data: dict[str, Any], fact_check_id: int) -> Any:
        """Change a fact-check; a published verdict changes only with a `correction` note"""
        check = service.update_fact_check(
            auth.require("write"),
            fact_check_id,
            expected_version("fact-check", fact_check_id),
            data,
        )
        return check, {"ETag": etag_of(check)}

    @blp.response(204)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def delete(self, fact_check_id: int) -> Any:
        """Delete a draft (published fact-checks are retracted instead)"""
        service.delete_fact_check(
            auth.require("write"), fact_check_id, expected_version("fact-check", fact_check_id)
        )


@blp.route("/fact-checks/<id:fact_check_id>/publish")
class FactCheckPublish(MethodView):
    @blp.arguments(PublishSchema, required=False)
    @blp.response(200, PublicationSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, _no_fields: dict[str, Any], fact_check_id: int) -> Any:
        """Publish a draft that passes the ClaimReview profile (422 lists what fails)"""
        publication = service.publish(
            auth.require("publish"), fact_check_id, expected_version("fact-check", fact_check_id)
        )
        return publication, {"ETag": etag_of(publication.fact_check)}


@blp.route("/fact-checks/<id:fact_check_id>/retract")
class FactCheckRetract(MethodView):
    @blp.arguments(RetractSchema)
    @blp.response(200, FactCheckSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, data: dict[str, Any], fact_check_id: int) -> Any:
        """Retract a published fact-check; it stays readable with the note"""
        check = service.retract(
            auth.require("publish"),
            fact_check_id,
            expected_version("fact-check", fact_check_id),
            data["note"],
        )
        return check, {"ETag": etag_of(check)}


@blp.route("/fact-checks/<id:fact_check_id>/revisions")
class FactCheckRevisions(MethodView):
    @blp.response(200, RevisionSchema(many=True))
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, fact_check_id: int) -> Any:
        """Every stored change of a fact-check: who, when, what"""
        return service.revisions(auth.actor_from_header(), fact_check_id)


@blp.route("/fact-checks/<id:fact_check_id>/claimreview")
class FactCheckClaimReview(MethodView):
    @blp.response(200, ClaimReviewSchema, content_type="application/ld+json")
    def get(self, fact_check_id: int) -> Any:
        """The fact-check as schema.org ClaimReview JSON-LD"""
        return document_response(
            public_first(lambda actor: service.fact_check_claimreview(actor, fact_check_id))
        )


def init_app(app: Flask, openapi: Api) -> None:
    app.url_map.converters["id"] = IdConverter
    openapi.register_converter(
        IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    openapi.register_blueprint(blp)
    from . import discovery  # it builds on this module, so it is imported once this one is whole

    openapi.register_blueprint(discovery.blp)


# --- HTTP details ----------------------------------------------------------------------------


def etag_of(resource: Article | FactCheck) -> str:
    return service.version_etag(resource)


def expected_version(kind: str, resource_id: int) -> int | None:
    """The version the client last saw, from If-Match; None for `If-Match: *`."""
    if "If-Match" not in request.headers:
        raise PreconditionRequired("Send If-Match with the ETag you last read (or `*`).")
    if_match = request.if_match
    if if_match.star_tag:
        return None
    # If-Match compares strongly (RFC 9110 13.1.1), so weak tags never match; Werkzeug gives
    # None for an empty tag.
    for tag in if_match.as_set():
        match = ETAG_PATTERN.match(tag or "")
        if match and match["kind"] == kind and int(match["id"]) == resource_id:
            return int(match["version"])
    raise PreconditionFailed("If-Match does not name a version of this resource.")


def conditional(resource: Any, etag: str, cache_control: str) -> Any:
    """A 304 when the client's copy is current, else the resource with its validators."""
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Authorization"}
    return not_modified(etag, headers) or (resource, headers)


def public(resource: Any) -> Any:
    return resource, {"Cache-Control": PUBLIC_CACHE}


def public_first(read: Callable[[Actor | None], service.Document]) -> service.Document:
    """A public document is the same for everyone, so it is served (from the cache, with no
    database query) without looking at the API key; the key only matters for a draft."""
    try:
        return read(None)
    except NotFound:
        actor = auth.actor_from_header()
        if actor is None:
            raise
        return read(actor)


def document_response(document: service.Document) -> Response:
    headers = {"ETag": document.etag, "Cache-Control": PUBLIC_CACHE}
    if not document.public:
        headers.update({"Cache-Control": PRIVATE_CACHE, "Vary": "Authorization"})
    return not_modified(document.etag, headers) or Response(
        document.body, mimetype=document.media_type, headers=headers
    )


def created(resource: Article | FactCheck, location: str) -> Any:
    return resource, {"Location": location, "ETag": etag_of(resource)}


def paged(items: Sequence[Any], total: int, args: dict[str, Any]) -> Any:
    """The page's items, with RFC 8288 `Link` headers to the neighbouring pages."""
    page, size = args["page"], args["page_size"]
    last = max(1, -(-total // size))
    query = {key: value for key, value in request.args.items() if key not in {"page", "pageSize"}}

    def link(number: int, rel: str) -> str:
        target = request.base_url + "?" + urlencode({**query, "page": number, "pageSize": size})
        return f'<{target}>; rel="{rel}"'

    links = [link(1, "first"), link(last, "last")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    headers = {"Link": ", ".join(links), "X-Total-Count": str(total), "Vary": "Authorization"}
    return items, headers
