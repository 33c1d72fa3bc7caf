"""The review step, the one place a fact-check's status moves:
draft -> in_review -> approved -> published -> retracted, and back to draft on a rejection.

Each move names the statuses it starts from; a move from anywhere else is 409, naming the moves
the fact-check allows. An organization may require that publishing follow an approval by someone
other than the last editor (Organization.approval_required): then a draft cannot be published
directly, and the last editor cannot approve their own work.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from factcheck.core import changes
from factcheck.core.actors import Actor
from factcheck.problems import Conflict, Forbidden
from factcheck.storage import store
from factcheck.storage.models import (
    APPROVED,
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    RETRACTED,
    FactCheck,
    Revision,
    utcnow,
)

SUBMIT, APPROVE, REJECT, PUBLISH, RETRACT = "submit", "approve", "reject", "publish", "retract"
# The revisions whose actor counts as the last editor: those that changed the content.
EDITS = frozenset({"create", "update", "correct"})


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str


MOVES: dict[str, Move] = {
    SUBMIT: Move(frozenset({DRAFT}), IN_REVIEW),
    APPROVE: Move(frozenset({IN_REVIEW}), APPROVED),
    REJECT: Move(frozenset({IN_REVIEW, APPROVED}), DRAFT),
    PUBLISH: Move(frozenset({DRAFT, APPROVED}), PUBLISHED),
    RETRACT: Move(frozenset({PUBLISHED}), RETRACTED),
}


def allowed(check: FactCheck) -> list[str]:
    """The moves the fact-check allows now, in the workflow's order."""
    needs_approval = check.organization.approval_required
    return [
        name
        for name, move in MOVES.items()
        if check.status in move.sources
        and not (name == PUBLISH and needs_approval and check.status == DRAFT)
    ]


def require(check: FactCheck, name: str) -> None:
    """409, naming the allowed moves, unless the fact-check allows the move `name` now."""
    possible = allowed(check)
    if name not in possible:
        raise Conflict(_refusal(check, name, possible))


def move(check: FactCheck, name: str) -> tuple[str, str]:
    """Set the fact-check's status by the move `name`: (before, after); 409 when not allowed."""
    require(check, name)
    before, check.status = check.status, MOVES[name].target
    return before, check.status


def _refusal(check: FactCheck, name: str, possible: Sequence[str]) -> str:
    status = check.status.replace("_", " ")
    why = ""
    if name == PUBLISH and check.status == DRAFT:
        why = " Its organization publishes only what another member approved."
    listed = ", ".join(possible) if possible else "none"
    return f"A fact-check that is {status} cannot {name}.{why} Allowed: {listed}."


def after_edit(check: FactCheck) -> str | None:
    """An edit of a fact-check in review or approved takes it back to draft: what was reviewed is
    no longer what would be published. The status it left, if it moved."""
    if check.status in (IN_REVIEW, APPROVED):
        before, check.status = check.status, DRAFT
        return before
    return None


def submit(actor: Actor, fact_check_id: int, expected_version: int | None) -> FactCheck:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        _moved(check, actor, SUBMIT)
    return check


def approve(actor: Actor, fact_check_id: int, expected_version: int | None) -> FactCheck:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        if check.organization.approval_required and check.status == IN_REVIEW:
            if last_editor(store.revisions(check.id)) == actor.identity:
                raise Forbidden(
                    "Its organization needs the approval of a member other than the last "
                    "editor; ask another editor."
                )
        _moved(check, actor, APPROVE)
    return check


def reject(
    actor: Actor, fact_check_id: int, expected_version: int | None, comment: str
) -> FactCheck:
    """Back to draft, with a comment for the writer kept with the revision (never public)."""
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        _moved(check, actor, REJECT, comment)
    return check


def _moved(check: FactCheck, actor: Actor, name: str, comment: str | None = None) -> None:
    before, after = move(check, name)
    check.date_modified = utcnow()
    changes.fact_check_changed(check, actor, name, {"status": [before, after]}, comment)


def last_editor(revisions: Sequence[Revision]) -> str | None:
    """Who last changed the content, as Actor.identity names them."""
    for revision in reversed(revisions):
        if revision.action in EDITS:
            if revision.member_id is not None:
                return f"member:{revision.member_id}"
            return revision.actor
    return None
