"""The security headers of every response, set in one after_request hook.

- `X-Content-Type-Options: nosniff` everywhere: a browser never reads JSON or problem+json as HTML.
- Framing refused (`Content-Security-Policy: frame-ancestors 'none'`, and `X-Frame-Options: DENY`
  for browsers without CSP 2) on everything but the embed card, which sites frame on purpose (its
  own CSP says `frame-ancestors *`). A policy a view already set (the pages') is kept; one without
  `frame-ancestors` gets it added.
- `Cache-Control: no-store` on every write response and on every read made with a key that is
  not answered with a public document: what one organization sees must not stay in a shared
  browser's disk cache or a proxy.
- `Strict-Transport-Security` when the request came over https: directly, or through a proxy the
  server trusts with `X-Forwarded-Proto` (serve.py, FORWARDED_ALLOW_IPS);
  its max-age is HSTS_MAX_AGE, `0` sends none.
"""

from collections.abc import Mapping

from flask import Flask, Response, current_app, request

from factcheck.web.responses import HeaderMap

# The iframe targets: the card, which oEmbed answers name in their iframe's src.
EMBEDDABLE = frozenset({"pages.fact_check_embed"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_FRAMING = "frame-ancestors 'none'"
# What a response built outside Flask (web/request_limits) carries too.
ALWAYS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": NO_FRAMING,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def add(
    headers: HeaderMap,
    status: int,
    method: str,
    endpoint: str | None,
    with_key: bool,
    secure: bool,
    hsts_max_age: int,
) -> None:
    """The security headers of an answer `status` to `method` on `endpoint`, asked `with_key`
    (an Authorization header) over https (`secure`) or not; the fast lane calls this too."""
    headers["X-Content-Type-Options"] = "nosniff"
    # The card's errors (a draft's 404) and its OPTIONS answer are nothing to frame.
    embed = endpoint in EMBEDDABLE and method in {"GET", "HEAD"} and status < 400
    if not embed:
        policy = headers.get("Content-Security-Policy", "")
        if not policy:
            headers["Content-Security-Policy"] = NO_FRAMING
        elif "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = f"{policy}; {NO_FRAMING}"
        headers["X-Frame-Options"] = "DENY"
    # A read with a key whose answer is not a public document (a draft, an organization's
    # list, a 401): the same bytes would not be served to everyone.
    private_read = with_key and not headers.get("Cache-Control", "").startswith("public")
    if method not in SAFE_METHODS or private_read:
        headers["Cache-Control"] = "no-store"
    if secure and hsts_max_age:
        headers["Strict-Transport-Security"] = f"max-age={hsts_max_age}"


def _secure(response: Response) -> Response:
    add(
        response.headers,
        response.status_code,
        request.method,
        request.endpoint,
        "Authorization" in request.headers,
        request.is_secure,
        current_app.config.get("HSTS_MAX_AGE", 0),
    )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
