"""Importing ClaimReview JSON-LD into an organization (a key with `write` and `publish`)."""

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from factcheck.core import imports
from factcheck.problems import BadRequest, UnsupportedMediaType
from factcheck.schemas.filters import STRICT_QUERY
from factcheck.schemas.imports import ImportArgsSchema, ImportReportSchema
from factcheck.web import auth
from factcheck.web.api.blueprint import WRITE_DOC, ApiBlueprint
from factcheck.web.parsing import loads_strict

blp = ApiBlueprint("imports", __name__, "Importing ClaimReview JSON-LD")

BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "ClaimReview JSON-LD: one ClaimReview, an array of them, a schema.org "
        "DataFeed, or Google ClaimReviewMarkupPages (one, an array, or "
        '`{"claimReviewMarkupPages": [...]}`). At most IMPORT_MAX_BYTES and IMPORT_MAX_ITEMS.',
        "content": {
            media: {"schema": {"oneOf": [{"type": "object"}, {"type": "array"}]}}
            for media in ("application/ld+json", "application/json")
        },
    }
}


@blp.route("/organizations/<slug>/imports")
class Imports(MethodView):
    # An import creates, corrects and publishes, so it needs what those routes need, both
    # scopes; `admin` (the organization's settings) says nothing about its content. The outer
    # one is what the route declares: an editor's, as publishing is.
    @auth.requires("publish")
    @auth.requires("write")
    @blp.arguments(ImportArgsSchema, **STRICT_QUERY)
    @blp.response(200, ImportReportSchema)
    @blp.doc(**WRITE_DOC, **BODY_DOC)
    def post(self, args: dict[str, Any], slug: str) -> Any:
        """Import ClaimReview JSON-LD into the organization's published fact-checks

        By url: created, updated (as a correction) or unchanged; skipped with the reason when
        another author's or off the rating scale. One invalid ClaimReview: 422, and nothing is
        imported. `?dryRun=true` answers the same report and changes nothing.
        """
        return imports.import_claimreviews(
            auth.require("publish"),
            slug,
            _body,
            dry_run=args["dry_run"],
            max_items=current_app.config["IMPORT_MAX_ITEMS"],
        )


def _body() -> Any:
    # Imports are larger than other writes: their own limit, past which Werkzeug answers 413.
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    if request.mimetype not in ("application/json", "application/ld+json"):
        raise UnsupportedMediaType("Send the body as application/ld+json or application/json.")
    data = request.get_data(cache=True)
    if not data:
        raise BadRequest("The request body is empty; send ClaimReview JSON-LD.")
    return loads_strict(data)
