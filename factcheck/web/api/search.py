"""Finding published fact-checks: Google-style claim search, and "has this been checked?"."""

from typing import Any

from flask import request
from flask.views import MethodView

from factcheck.core import claim_search, matching, search
from factcheck.schemas.discovery import (
    ClaimSearchArgsSchema,
    ClaimSearchResponseSchema,
    MatchArgsSchema,
    MatchSchema,
)
from factcheck.schemas.filters import STRICT_QUERY
from factcheck.web import auth, responses
from factcheck.web.api.blueprint import ApiBlueprint

blp = ApiBlueprint("search", __name__, "Search published fact-checks")


# A colon in a static path part is plain text to Werkzeug, so Google's path works as it is.
@blp.route("/claims:search")
class ClaimSearch(MethodView):
    @auth.public
    @blp.arguments(ClaimSearchArgsSchema, **STRICT_QUERY)
    @blp.response(200, ClaimSearchResponseSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search published fact-checks, with Google Fact Check Tools' parameters and shape"""
        found = claim_search.search_claims(args, accepted_languages())
        return responses.document(found, {"Vary": "Accept-Language, Authorization"})


# Not caught by /fact-checks/<id:...>: that converter only matches digits.
@blp.route("/fact-checks/match")
class FactCheckMatch(MethodView):
    @auth.public
    @blp.arguments(MatchArgsSchema, location="query")
    @blp.response(200, MatchSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Has this been checked? Published fact-checks whose claim resembles a sentence"""
        lang = search.query_language(args.get("language_code"), accepted_languages())
        found = matching.similar(args["text"], args["limit"], lang)
        return responses.public(found, {"Vary": "Accept-Language"})


def accepted_languages() -> list[str]:
    """The client's Accept-Language tags, most wanted first."""
    return [tag for tag in request.accept_languages.values() if tag != "*"]
