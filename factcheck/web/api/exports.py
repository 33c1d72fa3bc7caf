"""An organization's published fact-checks, exported as CSV or as a JSON-LD DataFeed, streamed."""

from collections.abc import Iterator
from typing import Any

from flask import current_app, stream_with_context
from flask.views import MethodView

from factcheck.core import exports
from factcheck.web import auth
from factcheck.web.api.blueprint import WRITE_DOC, ApiBlueprint

blp = ApiBlueprint("exports", __name__, "Exports of an organization's published fact-checks")


def _body_doc(media: str) -> dict[str, Any]:
    """A streamed body has no schema to describe it; the OpenAPI document still names its type."""
    return {"responses": {"200": {"content": {media: {"schema": {"type": "string"}}}}}}


def _streamed(chunks: Iterator[str], mimetype: str, filename: str) -> Any:
    response = current_app.response_class(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/organizations/<slug>/exports/fact-checks.csv")
class CsvExport(MethodView):
    @auth.requires(auth.KEY)
    @blp.response(
        200,
        description="One row per published fact-check; the columns are in the README.",
        content_type="text/csv",
    )
    @blp.doc(**WRITE_DOC, **_body_doc("text/csv"))
    def get(self, slug: str) -> Any:
        """The organization's published fact-checks as CSV, in id order"""
        chunks = exports.csv_export(auth.require(auth.KEY), slug)
        return _streamed(chunks, "text/csv", f"{slug}-fact-checks.csv")


@blp.route("/organizations/<slug>/exports/fact-checks.jsonld")
class JsonLdExport(MethodView):
    @auth.requires(auth.KEY)
    @blp.response(
        200,
        description="A schema.org DataFeed whose dataFeedElement are the ClaimReviews as "
        "/claimreview serves them.",
        content_type="application/ld+json",
    )
    @blp.doc(**WRITE_DOC, **_body_doc("application/ld+json"))
    def get(self, slug: str) -> Any:
        """The organization's published fact-checks as a JSON-LD DataFeed, in id order"""
        chunks = exports.jsonld_export(auth.require(auth.KEY), slug)
        return _streamed(chunks, "application/ld+json", f"{slug}-fact-checks.jsonld")
