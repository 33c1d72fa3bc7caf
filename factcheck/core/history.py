"""A fact-check's history, told two ways from its stored revisions.

To its own organization: every revision as stored (drafts, the key that made each change). To the
public: the published record. It starts at the first publish, whose entry shows what the public
then saw appear (the draft's fields, replayed from its revisions, as [null, value]); each later
correction, edit and the retraction follow as the changes the public saw. Nothing of the draft
states before it (nor the review: submit, approve, reject and their comments), and the actor is
always the organization, never a member or a key.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.storage.models import UNPUBLISHED, FactCheck, Member, Revision

CREATE, PUBLISH, CORRECT, RETRACT = "create", "publish", "correct", "retract"
# What a change may show publicly: the fields of the public fact-check, its status, its retraction.
PUBLIC_FIELDS = frozenset(
    field.data_key or name for name, field in FactCheckSchema().dump_fields.items()
) | {"status", "retraction"}


@dataclass(frozen=True)
class Entry:
    """One entry of a history, as schemas.fact_checks.RevisionSchema writes it."""

    version: int
    action: str
    actor: str
    changes: dict[str, Any]
    date_created: datetime
    # The correction's or the retraction's note, which the public sees with its date.
    note: str | None = None
    # Only in the organization's own history: the member behind the change, a rejection's comment.
    member: Member | None = None
    comment: str | None = None


def full(check: FactCheck, revisions: Sequence[Revision]) -> list[Entry]:
    """Every revision, as its organization recorded it."""
    notes = _notes(check, revisions)
    return [
        Entry(
            r.version,
            r.action,
            r.actor,
            r.changes,
            r.date_created,
            notes.get(r.id),
            r.member,
            r.comment,
        )
        for r in revisions
    ]


def public(check: FactCheck, revisions: Sequence[Revision]) -> list[Entry]:
    """The published record: from the first publish on, by the organization."""
    if check.status in UNPUBLISHED:
        return []
    notes = _notes(check, revisions)
    actor = check.organization.slug
    start = next((i for i, r in enumerate(revisions) if r.action == PUBLISH), None)
    entries: list[Entry] = []
    if start is None:
        # Inserted published (`flask generate`): no draft was ever recorded.
        shown: Iterable[Revision] = (r for r in revisions if r.action != CREATE)
    else:
        published = revisions[start]
        first = {key: [None, value] for key, value in _draft(revisions[:start]).items()}
        entries.append(Entry(published.version, PUBLISH, actor, first, published.date_created))
        shown = revisions[start + 1 :]
    for revision in shown:
        changes = {k: v for k, v in revision.changes.items() if k in PUBLIC_FIELDS}
        note = notes.get(revision.id)
        entries.append(
            Entry(revision.version, revision.action, actor, changes, revision.date_created, note)
        )
    return entries


def _draft(revisions: Sequence[Revision]) -> dict[str, Any]:
    """The fact-check as it was published: its creation's fields, then each edit's new values;
    only what is public, and only what it had."""
    state: dict[str, Any] = {}
    for revision in revisions:
        if revision.action == CREATE:
            state = dict(revision.changes)
        else:
            # The review's moves (submit, approve, reject) change only the status, which the
            # publish entry itself shows.
            state.update(
                {
                    key: after
                    for key, (_before, after) in revision.changes.items()
                    if key != "status"
                }
            )
    return {
        key: value
        for key, value in state.items()
        if key in PUBLIC_FIELDS and value not in (None, "", [], {})
    }


def _notes(check: FactCheck, revisions: Sequence[Revision]) -> dict[int, str | None]:
    """Revision id -> its note. Each correction revision added one correction, in order; the
    retraction's note is the fact-check's."""
    corrections = iter(check.corrections)
    notes: dict[int, str | None] = {}
    for revision in revisions:
        if revision.action == CORRECT:
            correction = next(corrections, None)
            if correction is not None:
                notes[revision.id] = correction.note
        elif revision.action == RETRACT:
            notes[revision.id] = check.retraction_note
    return notes
