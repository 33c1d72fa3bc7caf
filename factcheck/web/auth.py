"""Who is calling: the Actor behind `Authorization: Bearer <key>`, found once per request; and
what each route needs of the caller.

Missing or bad keys are 401 with a `WWW-Authenticate: Bearer` challenge (RFC 6750); a key without
the scope a route needs is 403. Both come before the body is read (`requires`). Keys themselves
are core/keys.py's; a member's key carries its member's role's scopes.

Deny by default: every view declares what it needs, `@requires(scope)` or `@public` (which still
lets a view look at a key it is sent, for drafts). A route whose view declares nothing is refused
(403) before it runs, and tests/test_route_access.py walks the URL map for such routes. Routes of
the frameworks (static files, the OpenAPI document) are declared in FRAMEWORK_ROUTES.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from factcheck.core import keys
from factcheck.core.actors import Actor
from factcheck.problems import Forbidden, Unauthorized

View = TypeVar("View", bound=Callable[..., Any])

PUBLIC = "public"
# Any valid key of the organization, whatever its scopes (Google's pages.list and pages.get).
KEY = "key"
# The attribute a view's declaration is kept in, read by `requirement` (and the URL-map test).
ACCESS = "access"
# Endpoints that Flask and flask-smorest make themselves: public documents.
FRAMEWORK_ROUTES = {
    "static": PUBLIC,
    "docs.static": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api-docs.openapi_swagger_ui": PUBLIC,
}

# For `@blp.doc(security=...)` on routes that take a key.
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
OPTIONAL_SECURITY: list[dict[str, list[str]]] = [{}, {"apiKey": []}]


def actor_from_header() -> Actor | None:
    """The caller's Actor, None when no key was sent; 401 for a key that is bad or revoked."""
    if "current_actor" in g:
        actor: Actor | None = g.current_actor
        return actor
    header = request.headers.get("Authorization")
    actor = None if header is None else _authenticate(header)
    g.current_actor = actor
    return actor


def _authenticate(header: str) -> Actor:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Send `Authorization: Bearer <API key>`.", headers=_challenge())
    actor = keys.authenticate(token)
    if actor is None:
        raise Unauthorized("The API key is not valid.", headers=_challenge('error="invalid_token"'))
    return actor


def _challenge(extra: str = "") -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer" + (f" {extra}" if extra else "")}


def require(scope: str) -> Actor:
    actor = actor_from_header()
    if actor is None:
        raise Unauthorized("This route needs an API key.", headers=_challenge())
    if scope != KEY and scope not in actor.scopes:
        raise Forbidden(f"The API key lacks the {scope!r} scope.")
    return actor


def requires(scope: str) -> Callable[[View], View]:
    """Check the key and its scope before the view's other decorators parse and validate the
    body, so a caller who may not write learns that (401/403), not what the body lacks (422).

    The outermost decorator of a write view; the view then takes its Actor from `require`.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(scope)
            return view(*args, **kwargs)

        setattr(checked, ACCESS, scope)
        return checked  # type: ignore[return-value]

    return decorate


def public(view: View) -> View:
    """Declare that anyone may call the view (it may still look at a key, e.g. for drafts)."""
    setattr(view, ACCESS, PUBLIC)
    return view


def checked_inside(scope: str) -> Callable[[View], View]:
    """Declare what a view needs that checks the key itself, in an order of its own (Google's
    pages.*, which check their query parameters first)."""

    def declare(view: View) -> View:
        setattr(view, ACCESS, scope)
        return view

    return declare


def requirement(endpoint: str, method: str) -> str | None:
    """What the endpoint's view declares it needs for `method`: a scope, PUBLIC, or None when it
    declares nothing."""
    if endpoint in FRAMEWORK_ROUTES:
        return FRAMEWORK_ROUTES[endpoint]
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        # A MethodView: each method declares its own (HEAD is answered by GET).
        name = "get" if method == "HEAD" else method.lower()
        view = getattr(view_class, name, None)
    declared: str | None = getattr(view, ACCESS, None)
    return declared


def _deny_undeclared() -> None:
    if request.url_rule is None or request.endpoint is None or request.method == "OPTIONS":
        return  # 404, 405 and CORS preflights are answered without running a view
    if requirement(request.endpoint, request.method) is None:
        raise Forbidden("This route declares no access requirement, so it is closed.")


def init_app(app: Flask) -> None:
    app.before_request(_deny_undeclared)
