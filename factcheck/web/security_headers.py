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
  server trusts with `X-Forwarded-Proto` (gunicorn's `forwarded_allow_ips`, FORWARDED_ALLOW_IPS);
  its max-age is HSTS_MAX_AGE, `0` sends none.
"""

from collections.abc import Mapping

from flask import Flask, Response, current_app, request

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


def _secure(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    if not _embed(response):
        policy = headers.get("Content-Security-Policy")
        if not policy:
            headers["Content-Security-Policy"] = NO_FRAMING
        elif "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = f"{policy}; {NO_FRAMING}"
        headers["X-Frame-Options"] = "DENY"
    if request.method not in SAFE_METHODS or _private_read(response):
        headers["Cache-Control"] = "no-store"
    max_age = current_app.config.get("HSTS_MAX_AGE", 0)
    if request.is_secure and max_age:
        headers["Strict-Transport-Security"] = f"max-age={max_age}"
    return response


def _embed(response: Response) -> bool:
    # The card's errors (a draft's 404) and its OPTIONS answer are nothing to frame.
    return (
        request.endpoint in EMBEDDABLE
        and request.method in {"GET", "HEAD"}
        and response.status_code < 400
    )


def _private_read(response: Response) -> bool:
    """A read with a key whose answer is not a public document (a draft, an organization's
    list, a 401): the same bytes would not be served to everyone."""
    if "Authorization" not in request.headers:
        return False
    return not response.headers.get("Cache-Control", "").startswith("public")


def init_app(app: Flask) -> None:
    app.after_request(_secure)
