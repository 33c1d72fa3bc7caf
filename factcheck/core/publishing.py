"""Publishing: a draft that passes the ClaimReview profile goes public, and is later retracted."""

from dataclasses import dataclass

from factcheck.core import changes, claimreview, scales
from factcheck.core.actors import Actor
from factcheck.problems import Conflict, Unprocessable
from factcheck.storage import store
from factcheck.storage.models import DRAFT, PUBLISHED, RETRACTED, FactCheck, utcnow


@dataclass(frozen=True)
class Publication:
    """A just-published fact-check with the profile's warnings that did not block it."""

    fact_check: FactCheck
    warnings: list[dict[str, str]]


def publish(actor: Actor, fact_check_id: int, expected_version: int | None) -> Publication:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        if check.status != DRAFT:
            raise Conflict(f"Only drafts can be published; this one is {check.status}.")
        scales.rate(check.organization, check)
        errors, warnings = claimreview.profile_problems(check)
        if errors:
            raise Unprocessable(
                "The fact-check does not pass the ClaimReview profile.", errors, warnings
            )
        now = utcnow()
        check.status, check.date_published, check.date_modified = PUBLISHED, now, now
        changes.fact_check_changed(check, actor, "publish", {"status": [DRAFT, PUBLISHED]})
    return Publication(check, warnings)


def retract(actor: Actor, fact_check_id: int, expected_version: int | None, note: str) -> FactCheck:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        if check.status != PUBLISHED:
            raise Conflict(
                f"Only published fact-checks can be retracted; this one is {check.status}."
            )
        now = utcnow()
        check.status, check.retraction_note = RETRACTED, note
        check.date_retracted, check.date_modified = now, now
        retraction = {"status": [PUBLISHED, RETRACTED], "retraction": [None, note]}
        changes.fact_check_changed(check, actor, "retract", retraction)
    return check
