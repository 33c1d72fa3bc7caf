"""Who is calling: the Actor behind `Authorization: Bearer <key>`, found once per request.

Missing or bad keys are 401 with a `WWW-Authenticate: Bearer` challenge (RFC 6750); a key without
the scope a route needs is 403. Both come before the body is read (`requires`). Keys themselves
are core/keys.py's.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from factcheck.core import keys
from factcheck.core.actors import Actor
from factcheck.problems import Forbidden, Unauthorized

View = TypeVar("View", bound=Callable[..., Any])

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
    if scope not in actor.scopes:
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

        return checked  # type: ignore[return-value]

    return decorate
