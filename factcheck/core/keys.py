"""API keys: issued once, stored hashed, compared in constant time, scoped to one organization.

A key reads `fck_<prefix>_<secret>`: the prefix finds the row and may be shown, the secret is
256 random bits stored only as its sha256.
"""

import hashlib
import hmac
import secrets

from factcheck.core.actors import Actor
from factcheck.storage import store
from factcheck.storage.models import ApiKey, utcnow

# admin: the organization's own settings, such as its webhook subscriptions.
SCOPES = frozenset({"write", "publish", "admin"})
KEY_PREFIX = "fck"


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
    with store.unit_of_work():
        key, token = new_key(organization_id, name, scopes)
        store.add(key)
    return token


def revoke(prefix: str) -> bool:
    with store.unit_of_work():
        key = store.api_key_by_prefix(prefix)
        if key is None:
            return False
        if key.date_revoked is None:
            key.date_revoked = utcnow()
    return True


def authenticate(token: str) -> Actor | None:
    """The Actor a presented key stands for; None when it is malformed, unknown or revoked."""
    label, _, rest = token.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    key = store.api_key_by_prefix(prefix) if label == KEY_PREFIX and secret else None
    # Compare even when no key was found, so timing says nothing about which prefixes exist.
    expected = key.secret_hash if key is not None else _hash("")
    matches = hmac.compare_digest(expected, _hash(secret))
    if key is None or not matches or key.date_revoked is not None:
        return None
    return Actor(key.organization_id, f"key:{key.prefix}:{key.name}", key.scope_set, key.id)


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()
