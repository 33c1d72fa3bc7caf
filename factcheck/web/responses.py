"""HTTP responses, one home for the API and the pages: ETags, conditional requests, Cache-Control
policies and Link paging.

Conditional requests follow RFC 9110 §13 on Werkzeug's parsing (`request.if_match`,
`request.if_none_match`): If-None-Match compares weakly (a proxy that compressed a body made its
ETag `W/"..."`, and that copy is still current), If-Match strongly. `If-None-Match: *` matches any
current representation: a 304 for a read, a 412 for a write. A validator header that is not `*`
or a list of entity-tags (`If-Match: *, "x"`, an unquoted tag) is 400 on every route, checked
before the view runs.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import ETags
from werkzeug.http import unquote_etag

from factcheck.core.documents import version_etag
from factcheck.problems import BadRequest, PreconditionFailed, PreconditionRequired
from factcheck.storage.documents import Document
from factcheck.storage.models import Article, FactCheck


class HeaderMap(Protocol):
    """What the functions that decide a response's headers (cors.add, security_headers.add,
    rate_limits.add_headers) use of a header collection: Werkzeug's Headers on the normal path,
    a plain dict in the fast lane, where Headers' per-value checks were most of an answer's cost
    (every value there is the service's own)."""

    def __setitem__(self, key: str, value: str, /) -> None: ...

    def get(self, key: str, default: str, /) -> str: ...


# Cache-Control policies. Public documents may be shared for a minute and are then revalidated
# (a 304 costs no database query); what only one organization sees is revalidated every time.
PUBLIC = "public, max-age=60, must-revalidate"
PRIVATE = "private, no-cache"

ETAG_PATTERN = re.compile(
    r"^(?P<kind>article|fact-check|webhook|organization|member)-(?P<id>\d+)-v(?P<version>\d+)$"
)

# RFC 9110 §8.8.3: entity-tag = [ %s"W/" ] DQUOTE *etagc DQUOTE, in a list that may have empty
# elements (§5.6.1); etagc is any visible character but DQUOTE, or obs-text (which WSGI gives as
# latin-1).
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
VALIDATOR_LIST = re.compile(
    rf"[ \t]*(?:\*|(?:{_ENTITY_TAG})?(?:[ \t]*,[ \t]*(?:{_ENTITY_TAG})?)*)[ \t]*"
)
VALIDATOR_HEADERS = ("If-Match", "If-None-Match")


def check_validator_syntax() -> None:
    """400 for an If-Match or If-None-Match that is neither `*` nor a list of entity-tags:
    Werkzeug reads `*, "x"` as two tags and `abc` as a tag, where RFC 9110 has no meaning for
    either, and guessing one could let a write through that the client meant to stop."""
    for name in VALIDATOR_HEADERS:
        value = request.headers.get(name)
        if value is not None and not VALIDATOR_LIST.fullmatch(value):
            raise BadRequest(
                f'{name} must be `*` or a list of entity-tags such as `"fact-check-9-v2"` '
                "(RFC 9110 §8.8.3), not both."
                if "*" in value
                else f'{name} must be `*` or a list of entity-tags such as `"fact-check-9-v2"` '
                "(RFC 9110 §8.8.3)."
            )


def not_modified(etag: str, headers: Mapping[str, str]) -> Response | None:
    """For a read of the representation `etag` (RFC 9110 §13.2.2): 412 when If-Match names none
    of its current tags (strong comparison), a 304 carrying the validators when If-None-Match
    names it (weak comparison) or is `*`."""
    # Werkzeug's ETags hold tags without their quotes or W/.
    tag = unquote_etag(etag)[0] or ""
    if "If-Match" in request.headers and not request.if_match.contains(tag):
        raise PreconditionFailed("If-Match does not name the current version.")
    if is_current(etag, request.if_none_match):
        return Response(status=304, headers=dict(headers))
    return None


def is_current(etag: str, if_none_match: ETags) -> bool:
    """Whether If-None-Match names `etag` (weak comparison) or is `*`."""
    return if_none_match.contains_weak(unquote_etag(etag)[0] or "")


def document_headers(found: Document) -> dict[str, str]:
    """What a document's answer carries of its own: its ETag and Cache-Control policy."""
    if found.public:
        return {"ETag": found.etag, "Cache-Control": PUBLIC}
    return {"ETag": found.etag, "Cache-Control": PRIVATE, "Vary": "Authorization"}


def document_response(found: Document, current: bool, headers: Mapping[str, str]) -> Response:
    """A 304 when the client's copy is `current`, else the document's bytes."""
    if current:
        return Response(status=304, headers=dict(headers))
    return Response(found.body, mimetype=found.media_type, headers=headers)


def document(found: Document, headers: Mapping[str, str] | None = None) -> Response:
    """A rendered document with its ETag and Cache-Control, or a 304 when the client has it.
    The fast lane (web/fast_lane.py) answers public ones with the same functions."""
    validators = {**(headers or {}), **document_headers(found)}
    return not_modified(found.etag, validators) or document_response(found, False, validators)


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
        target = site_url_of_route() + "?" + urlencode({**query, "page": number, "pageSize": size})
        return f'<{target}>; rel="{rel}"'

    links = [link(1, "first"), link(last, "last")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    headers = {"Link": ", ".join(links), "X-Total-Count": str(total), "Vary": "Authorization"}
    return items, headers


def site_url_of_route() -> str:
    """This request's route, with its values, on SITE_URL: never on the request's Host or a
    SCRIPT_NAME it brought (the same rule as pages/views.site_link)."""
    adapter = current_app.url_map.bind("site.invalid", script_name="/")
    path = adapter.build(request.endpoint or "", request.view_args or {})
    return str(current_app.config["SITE_URL"]) + path


def expected_version(kind: str, resource_id: int) -> int | None:
    """The version the client last saw, from If-Match; None for `If-Match: *`."""
    if "If-Match" not in request.headers:
        raise PreconditionRequired("Send If-Match with the ETag you last read (or `*`).")
    if_match = request.if_match
    if if_match.star_tag:
        _refuse_if_none_match(None)
        return None
    # If-Match compares strongly (RFC 9110 13.1.1), so weak tags never match; Werkzeug gives
    # None for an empty tag.
    for tag in if_match.as_set():
        match = ETAG_PATTERN.match(tag or "")
        if match and match["kind"] == kind and int(match["id"]) == resource_id:
            version = int(match["version"])
            _refuse_if_none_match(tag)
            return version
    raise PreconditionFailed("If-Match does not name a version of this resource.")


def _refuse_if_none_match(current: str | None) -> None:
    """If-None-Match on a write (RFC 9110 §13.1.2), once If-Match has passed: false, so 412, for
    `*` (the resource exists) and for a list naming the version If-Match named, which is the
    current one whenever the write goes ahead. `current` is None after `If-Match: *`: then only
    `*` can be judged here."""
    if "If-None-Match" not in request.headers:
        return
    if_none_match = request.if_none_match
    if if_none_match.star_tag or (current and if_none_match.contains_weak(current)):
        raise PreconditionFailed("If-None-Match names the current version of this resource.")


def init_app(app: Flask) -> None:
    app.before_request(check_validator_syntax)
