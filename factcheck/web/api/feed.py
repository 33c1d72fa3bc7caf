"""The feed: every public change, in order, for mirrors polling with `?since=`."""

from typing import Any
from urllib.parse import urlencode

from flask import request
from flask.views import MethodView

from factcheck.core import feed, search
from factcheck.schemas.discovery import DataFeedSchema, FeedArgsSchema
from factcheck.schemas.filters import STRICT_QUERY
from factcheck.web import auth, responses
from factcheck.web.api.blueprint import ApiBlueprint

blp = ApiBlueprint("feed", __name__, "A DataFeed of published ClaimReviews, for mirrors")


@blp.route("/feed")
class Feed(MethodView):
    @auth.public
    @blp.arguments(FeedArgsSchema, **STRICT_QUERY)
    @blp.response(200, DataFeedSchema, content_type="application/ld+json")
    def get(self, args: dict[str, Any]) -> Any:
        """schema.org DataFeed of published and retracted ClaimReviews, in change order"""
        narrowed = search.filters_of(args)

        def next_page(cursor: str) -> str:
            # The next page keeps the filters: every argument but the cursor, as it was sent.
            kept = {k: v for k, v in request.args.items() if k != "since"}
            query = urlencode({**kept, "since": cursor, "pageSize": args["page_size"]})
            return f"{responses.site_url_of_route()}?{query}"

        document, cursor, full = feed.page(
            args.get("since"), args["page_size"], narrowed, next_page
        )
        response = responses.document(document)
        if full:
            response.headers["Link"] = f'<{next_page(cursor)}>; rel="next"'
        return response
