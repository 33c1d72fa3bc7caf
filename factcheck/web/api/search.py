"""Finding published fact-checks: Google-style claim search, and "has this been checked?"."""

from typing import Any

from flask.views import MethodView

from factcheck.core import claim_search, matching
from factcheck.schemas.discovery import (
    ClaimSearchArgsSchema,
    ClaimSearchResponseSchema,
    MatchArgsSchema,
    MatchSchema,
)
from factcheck.web import responses
from factcheck.web.api.blueprint import ApiBlueprint

blp = ApiBlueprint("search", __name__, "Search published fact-checks")


# A colon in a static path part is plain text to Werkzeug, so Google's path works as it is.
@blp.route("/claims:search")
class ClaimSearch(MethodView):
    @blp.arguments(ClaimSearchArgsSchema, location="query")
    @blp.response(200, ClaimSearchResponseSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search published fact-checks, with Google Fact Check Tools' parameters and shape"""
        return responses.document(claim_search.search_claims(args))


# Not caught by /fact-checks/<id:...>: that converter only matches digits.
@blp.route("/fact-checks/match")
class FactCheckMatch(MethodView):
    @blp.arguments(MatchArgsSchema, location="query")
    @blp.response(200, MatchSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Has this been checked? Published fact-checks whose claim resembles a sentence"""
        return responses.public(matching.similar(args["text"], args["limit"]))
