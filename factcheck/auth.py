"""API keys: issued once, stored hashed, compared in constant time, scoped to one organization."""

import hashlib
import hmac
import secrets

from flask import g, request

from . import store
from .errors import Forbidden, Unauthorized
from .models import ApiKey, utcnow
from .service import Actor

SCOPES = frozenset({"write", "publish"})
KEY_PREFIX = "fck"
# For `@blp.doc(security=...)` on routes that take a key.
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
OPTIONAL_SECURITY: list[dict[str, list[str]]] = [{}, {"apiKey": []}]


def new_key(organization_id: int, name: str, scopes: frozenset[str]) -> tuple[ApiKey, str]:
    """A new key row and the one time its secret is visible."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=" ".join(sorted(scopes)),
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def issue(organization_id: int, name: str, scopes: frozenset[str]) -> str:
    key, token = new_key(organization_id, name, scopes)
    store.add(key)
    store.commit()
    return token


def revoke(prefix: str) -> bool:
    key = store.api_key_by_prefix(prefix)
    if key is None:
        return False
    if key.date_revoked is None:
        key.date_revoked = utcnow()
        store.commit()
    return True


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


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
    label, _, rest = token.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    key = store.api_key_by_prefix(prefix) if label == KEY_PREFIX and secret else None
    # Compare even when no key was found, so timing says nothing about which prefixes exist.
    expected = key.secret_hash if key is not None else _hash("")
    matches = hmac.compare_digest(expected, _hash(secret))
    if key is None or not matches or key.date_revoked is not None:
        raise Unauthorized("The API key is not valid.", headers=_challenge('error="invalid_token"'))
    return Actor(key.organization_id, f"key:{key.prefix}:{key.name}", key.scope_set, key.id)


def _challenge(extra: str = "") -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer" + (f" {extra}" if extra else "")}


def require(scope: str) -> Actor:
    actor = actor_from_header()
    if actor is None:
        raise Unauthorized("This route needs an API key.", headers=_challenge())
    if scope not in actor.scopes:
        raise Forbidden(f"The API key lacks the {scope!r} scope.")
    return actor
