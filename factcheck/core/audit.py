"""The audit log of admin actions: who changed members, keys or settings, when, and how.

`record` joins the unit of work of the action it tells about, so an action is never logged
without having happened, nor done without being logged.
"""

from collections.abc import Sequence
from typing import Any

from factcheck.core.actors import Actor, organization_of
from factcheck.storage import store
from factcheck.storage.models import AuditEntry, utcnow


def record(actor: Actor, action: str, target: str, details: dict[str, Any]) -> None:
    """Add an entry to the unit of work in progress (never outside one)."""
    store.add(
        AuditEntry(
            organization_id=actor.organization_id,
            actor=actor.name,
            member_id=actor.member_id,
            action=action,
            target=target,
            details=details,
            date_created=utcnow(),
        )
    )


def entries(actor: Actor, slug: str, page: int, page_size: int) -> tuple[Sequence[AuditEntry], int]:
    """The organization's log, newest first; another organization's is not found."""
    return store.audit_entries(organization_of(actor, slug), page, page_size)
