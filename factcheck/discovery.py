"""Routes to find and mirror published fact-checks: claim search, similar claims, the feed."""

from typing import Any
from urllib.parse import urlencode

from flask import request
from flask.views import MethodView

from . import lookup
from .api import ApiBlueprint, document_response, public
from .discovery_schemas import (
    ClaimSearchArgsSchema,
    ClaimSearchResponseSchema,
    DataFeedSchema,
    FeedArgsSchema,
    MatchArgsSchema,
    MatchSchema,
)

blp = ApiBlueprint(
    "discovery", __name__, url_prefix="/api/v1", description="Search, match and the feed"
)


# A colon in a static path part is plain text to Werkzeug, so Google's path works as it is.
@blp.route("/claims:search")
class ClaimSearch(MethodView):
    @blp.arguments(ClaimSearchArgsSchema, location="query")
    @blp.response(200, ClaimSearchResponseSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search published fact-checks, with Google Fact Check Tools' parameters and shape"""
        return document_response(lookup.search_claims(args))


# Not caught by /fact-checks/<id:...>: that converter only matches digits.
@blp.route("/fact-checks/match")
class FactCheckMatch(MethodView):
    @blp.arguments(MatchArgsSchema, location="query")
    @blp.response(200, MatchSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Has this been checked? Published fact-checks whose claim resembles a sentence"""
        return public(lookup.similar(args["text"], args["limit"]))


@blp.route("/feed")
class Feed(MethodView):
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, DataFeedSchema, content_type="application/ld+json")
    def get(self, args: dict[str, Any]) -> Any:
        """schema.org DataFeed of published and retracted ClaimReviews, in change order"""
        document, cursor, full = lookup.feed(args.get("since"), args["page_size"])
        response = document_response(document)
        if full:
            query = urlencode({"since": cursor, "pageSize": args["page_size"]})
            response.headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
        return response
