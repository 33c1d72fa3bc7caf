"""An organization's members and their roles; an admin adds, changes and removes them.

A member's keys act with the member's role, read at each request, so a change of role or a
removal takes effect on the member's next request.
"""

from typing import Any

from factcheck.core import audit
from factcheck.core.actors import Actor, organization_of
from factcheck.problems import NotFound, PreconditionFailed
from factcheck.schemas.members import ROLE_SCOPES
from factcheck.storage import store
from factcheck.storage.models import Member, utcnow

ROLES = ROLE_SCOPES


def list_members(actor: Actor, slug: str) -> list[Member]:
    return list(store.members(organization_of(actor, slug)))


def member_for(actor: Actor, slug: str, member_id: int) -> Member:
    organization_id = organization_of(actor, slug)
    member = store.get(Member, member_id)
    if member is None or member.organization_id != organization_id or member.date_removed:
        raise NotFound(f"No member {member_id}.")
    return member


def add_member(actor: Actor, slug: str, data: dict[str, Any]) -> Member:
    with store.unit_of_work():
        now = utcnow()
        member = Member(
            organization_id=organization_of(actor, slug),
            name=data["name"],
            role=data["role"],
            date_created=now,
            date_modified=now,
        )
        store.add(member)
        store.flush()
        audit.record(actor, "member.add", f"member:{member.id}", dict(data))
    return member


def update_member(
    actor: Actor, slug: str, member_id: int, expected: int | None, data: dict[str, Any]
) -> Member:
    with store.unit_of_work():
        member = member_for(actor, slug, member_id)
        _check_version(member, expected)
        changed = {
            field: [getattr(member, field), value]
            for field, value in data.items()
            if getattr(member, field) != value
        }
        for field, (_before, after) in changed.items():
            setattr(member, field, after)
        if changed:
            member.date_modified = utcnow()
            audit.record(actor, "member.update", f"member:{member.id}", changed)
    return member


def remove_member(actor: Actor, slug: str, member_id: int, expected: int | None) -> None:
    """The member leaves the desk and their keys stop working; their revisions still name them."""
    with store.unit_of_work():
        member = member_for(actor, slug, member_id)
        _check_version(member, expected)
        now = utcnow()
        member.date_removed = member.date_modified = now
        revoked = []
        for key in store.keys_of_member(member.id):
            if key.date_revoked is None:
                key.date_revoked = now
                revoked.append(key.prefix)
        audit.record(actor, "member.remove", f"member:{member.id}", {"revokedKeys": revoked})


def _check_version(member: Member, expected: int | None) -> None:
    """`expected` None stands for `If-Match: *`; the UPDATE checks again (version_id_col)."""
    if expected is not None and expected != member.version:
        raise PreconditionFailed(f"The member is at version {member.version}, not {expected}.")
