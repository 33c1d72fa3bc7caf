"""Articles: the news pieces whose claims are checked, and their fact-checks."""

from typing import Any

from flask import url_for
from flask.views import MethodView

from factcheck.core import articles, drafting, reads
from factcheck.core.documents import version_etag
from factcheck.schemas.articles import (
    ArticleListArgsSchema,
    ArticlePatchSchema,
    ArticleSchema,
    ArticleSummarySchema,
)
from factcheck.schemas.claimreview import ClaimReviewSchema
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.schemas.fields import PageArgsSchema, for_patch
from factcheck.web import auth, idempotency, responses, writes
from factcheck.web.api.blueprint import (
    IF_MATCH_DOC,
    POST_DOC,
    WRITE_DOC,
    ApiBlueprint,
    merge_patch_doc,
    public_first,
)

blp = ApiBlueprint("articles", __name__, "News articles and the fact-checks of their claims")
idempotency.attach(blp)

# Built once, not per request (see fact_checks.FACT_CHECK).
ARTICLE = ArticleSchema()
FACT_CHECK = FactCheckSchema()


@blp.route("/articles")
class ArticleCollection(MethodView):
    @auth.public
    @blp.arguments(ArticleListArgsSchema, location="query")
    @blp.response(200, ArticleSummarySchema(many=True))
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, args: dict[str, Any]) -> Any:
        """List articles, or find one by its URL with `?url=`"""
        actor = auth.actor_from_header()
        items, total = reads.list_articles(
            actor, args["page"], args["page_size"], url=args.get("url")
        )
        return responses.paged(items, total, args)

    @auth.requires("write")
    @blp.arguments(ARTICLE)
    @blp.response(201, ArticleSchema)
    @blp.doc(**POST_DOC)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a news article whose claims will be checked"""
        actor = auth.require("write")
        return writes.answer(
            lambda: articles.create_article(actor, data),
            writes.resource(ARTICLE, 201, location=_article_location),
        )


@blp.route("/articles/<id:article_id>")
class ArticleResource(MethodView):
    @auth.public
    @blp.response(200, ArticleSchema)
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, article_id: int) -> Any:
        """Show an article"""
        article = reads.article_for(auth.actor_from_header(), article_id)
        return responses.conditional(article, version_etag(article), responses.PRIVATE)

    @auth.requires("write")
    @blp.arguments(for_patch(ArticlePatchSchema))
    @blp.response(200, ArticleSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC, **merge_patch_doc("ArticlePatch"))
    def patch(self, data: dict[str, Any], article_id: int) -> Any:
        """Change some fields of an article"""
        actor = auth.require("write")
        version = responses.expected_version("article", article_id)
        return writes.answer(
            lambda: articles.update_article(actor, article_id, version, data),
            writes.resource(ARTICLE),
        )

    @auth.requires("write")
    @blp.response(204)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def delete(self, article_id: int) -> Any:
        """Delete an article that has no fact-checks"""
        articles.delete_article(
            auth.require("write"), article_id, responses.expected_version("article", article_id)
        )


@blp.route("/articles/<id:article_id>/fact-checks")
class ArticleFactChecks(MethodView):
    @auth.public
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, FactCheckSchema(many=True))
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, args: dict[str, Any], article_id: int) -> Any:
        """List the fact-checks of an article"""
        items, total = reads.list_fact_checks(
            auth.actor_from_header(), args["page"], args["page_size"], article_id=article_id
        )
        return responses.paged(items, total, args)

    @auth.requires("write")
    @blp.arguments(FACT_CHECK)
    @blp.response(201, FactCheckSchema)
    @blp.doc(**POST_DOC)
    def post(self, data: dict[str, Any], article_id: int) -> Any:
        """Add a draft fact-check of one claim in the article"""
        actor = auth.require("write")
        return writes.answer(
            lambda: drafting.create_fact_check(actor, article_id, data),
            writes.resource(FACT_CHECK, 201, location=_fact_check_location),
        )


def _article_location(article: Any) -> str:
    return url_for("articles.ArticleResource", article_id=article.id)


def _fact_check_location(check: Any) -> str:
    return url_for("fact_checks.FactCheckResource", fact_check_id=check.id)


@blp.route("/articles/<id:article_id>/claimreview")
class ArticleClaimReviews(MethodView):
    @auth.public
    @blp.response(200, ClaimReviewSchema(many=True), content_type="application/ld+json")
    def get(self, article_id: int) -> Any:
        """The article's published fact-checks as a JSON array of ClaimReview"""
        return responses.document(
            public_first(lambda actor: reads.article_claimreviews(actor, article_id))
        )
