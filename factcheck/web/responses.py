"""HTTP responses, one home for the API and the pages: ETags, conditional requests, Cache-Control
policies and Link paging.

Validators are parsed by Werkzeug (`request.if_match`, `request.if_none_match`). If-None-Match
compares strongly here, as it always has; the guarantees issue moves it to RFC 9110's weak
comparison in this one place.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from factcheck.core.documents import version_etag
from factcheck.problems import PreconditionFailed, PreconditionRequired
from factcheck.storage.documents import Document
from factcheck.storage.models import Article, FactCheck

# Cache-Control policies. Public documents may be shared for a minute and are then revalidated
# (a 304 costs no database query); what only one organization sees is revalidated every time.
PUBLIC = "public, max-age=60, must-revalidate"
PRIVATE = "private, no-cache"

ETAG_PATTERN = re.compile(r"^(?P<kind>article|fact-check)-(?P<id>\d+)-v(?P<version>\d+)$")


def not_modified(etag: str, headers: Mapping[str, str]) -> Response | None:
    """A 304 carrying the validators when the client's copy (If-None-Match) is current."""
    # Werkzeug's ETags hold tags without their quotes.
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers=dict(headers))
    return None


def document(found: Document, headers: Mapping[str, str] | None = None) -> Response:
    """A rendered document with its ETag and Cache-Control, or a 304 when the client has it."""
    validators = {**(headers or {}), "ETag": found.etag, "Cache-Control": PUBLIC}
    if not found.public:
        validators.update({"Cache-Control": PRIVATE, "Vary": "Authorization"})
    return not_modified(found.etag, validators) or Response(
        found.body, mimetype=found.media_type, headers=validators
    )


def conditional(resource: Any, etag: str, cache_control: str) -> Any:
    """A 304 when the client's copy is current, else the resource (for the view's schema to
    dump) with its validators."""
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Authorization"}
    return not_modified(etag, headers) or (resource, headers)


def public(resource: Any, headers: Mapping[str, str] | None = None) -> Any:
    return resource, {**(headers or {}), "Cache-Control": PUBLIC}


def written(resource: Article | FactCheck) -> Any:
    """A changed resource with the ETag of its version."""
    return resource, {"ETag": version_etag(resource)}


def created(resource: Article | FactCheck, location: str) -> Any:
    return resource, {"Location": location, "ETag": version_etag(resource)}


def paged(items: Sequence[Any], total: int, args: Mapping[str, Any]) -> Any:
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
