"""API keys: issued once, stored hashed, compared in constant time, scoped to one organization.

A key reads `fck_<prefix>_<secret>`: the prefix finds the row and may be shown, the secret is
256 random bits stored only as its sha256. A key belongs to a member, and acts with the member's
role (core/members.ROLES), or to a named tool, and acts with its own scopes. The first key of an
organization is a tool key from the CLI; its admins manage the others through the API.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from factcheck.core import audit
from factcheck.core.actors import Actor, organization_of
from factcheck.core.members import ROLES, member_for
from factcheck.problems import NotFound
from factcheck.storage import store
from factcheck.storage.models import ApiKey, utcnow

# admin: the organization's own settings, such as its webhook subscriptions, members and keys.
SCOPES = frozenset({"write", "publish", "admin"})
KEY_PREFIX = "fck"
# How stale a key's "last used" may get: it is written at most this often, not every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Issued:
    """A key just made, with the one time its whole token is visible."""

    key: ApiKey
    token: str


def new_key(
    organization_id: int, name: str, scopes: frozenset[str], member_id: int | None = None
) -> tuple[ApiKey, str]:
    """A new key row and the one time its secret is visible."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=" ".join(sorted(scopes)),
        member_id=member_id,
        date_created=utcnow(),
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


def effective_scopes(key: ApiKey) -> frozenset[str]:
    """A member's key: the member's role's; a tool's key: its own."""
    if key.member is not None:
        return ROLES[key.member.role]
    return key.scope_set


def authenticate(token: str) -> Actor | None:
    """The Actor a presented key stands for; None when it is malformed, unknown, revoked, past
    its rotation's grace, or its member's who has left."""
    label, _, rest = token.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    key = store.api_key_by_prefix(prefix) if label == KEY_PREFIX and secret else None
    # Compare even when no key was found, so timing says nothing about which prefixes exist.
    expected = key.secret_hash if key is not None else _hash("")
    matches = hmac.compare_digest(expected, _hash(secret))
    if key is None or not matches or not _works(key):
        return None
    actor = Actor(
        key.organization_id,
        f"key:{key.prefix}:{key.name}",
        effective_scopes(key),
        key.id,
        key.member_id,
    )
    now = utcnow()
    last_used = key.date_last_used
    if last_used is None or last_used < now - LAST_USED_RESOLUTION:
        store.note_key_used(key.id, now, now - LAST_USED_RESOLUTION)
    return actor


def _works(key: ApiKey) -> bool:
    if key.date_revoked is not None:
        return False
    if key.date_expires is not None and key.date_expires <= utcnow():
        return False
    return key.member is None or key.member.date_removed is None


# --- key management by an organization's admins ----------------------------------------------


def list_keys(actor: Actor, slug: str) -> Sequence[ApiKey]:
    return store.api_keys(organization_of(actor, slug), utcnow())


def create_key(actor: Actor, slug: str, data: dict[str, Any]) -> Issued:
    """A member's key (`member`) or a tool's key (`scopes`); the schema lets only one through."""
    with store.unit_of_work():
        organization_id = organization_of(actor, slug)
        member_id = data.get("member_id")
        if member_id is not None:
            member = member_for(actor, slug, member_id)
            key, token = new_key(organization_id, data["name"], frozenset(), member.id)
        else:
            key, token = new_key(organization_id, data["name"], frozenset(data["scopes"]))
        store.add(key)
        store.flush()
        details = {"name": key.name, "member": member_id, "scopes": sorted(key.scope_set)}
        audit.record(actor, "key.create", f"key:{key.prefix}", details)
    return Issued(key, token)


def rotate_key(actor: Actor, slug: str, prefix: str) -> Issued:
    """A new key in the old one's place (same name, member and scopes); the old one keeps
    working for KEY_ROTATION_GRACE_SECONDS, so the tools that use it can be moved over."""
    with store.unit_of_work():
        old = _key_for(actor, slug, prefix)
        now = utcnow()
        grace = timedelta(seconds=current_app.config["KEY_ROTATION_GRACE_SECONDS"])
        expires = now + grace
        if old.date_expires is None or old.date_expires > expires:
            old.date_expires = expires
        key, token = new_key(old.organization_id, old.name, old.scope_set, old.member_id)
        store.add(key)
        store.flush()
        details = {"newKey": key.prefix, "oldKeyExpires": expires.isoformat()}
        audit.record(actor, "key.rotate", f"key:{old.prefix}", details)
    return Issued(key, token)


def revoke_key(actor: Actor, slug: str, prefix: str) -> None:
    with store.unit_of_work():
        key = _key_for(actor, slug, prefix)
        key.date_revoked = utcnow()
        audit.record(actor, "key.revoke", f"key:{key.prefix}", {"name": key.name})


def _key_for(actor: Actor, slug: str, prefix: str) -> ApiKey:
    """One of the organization's working keys; another's, a revoked or an expired one is not
    found."""
    organization_id = organization_of(actor, slug)
    key = store.api_key_by_prefix(prefix)
    if key is None or key.organization_id != organization_id or key.date_revoked is not None:
        raise NotFound(f"No key {prefix!r}.")
    if key.date_expires is not None and key.date_expires <= utcnow():
        raise NotFound(f"No key {prefix!r}.")
    return key


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()
