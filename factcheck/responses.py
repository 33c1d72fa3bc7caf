"""Conditional GET, shared by the API and the pages."""

from collections.abc import Mapping

from flask import Response, request


def not_modified(etag: str, headers: Mapping[str, str]) -> Response | None:
    """A 304 carrying the validators when the client's copy (If-None-Match) is current."""
    # Werkzeug's ETags hold tags without their quotes.
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers=dict(headers))
    return None
