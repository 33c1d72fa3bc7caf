"""Publishing: a draft (or, where the organization wants a review, an approved fact-check) that
passes the ClaimReview profile goes public, and is later retracted. core/review.py says which
statuses each move starts from."""

from dataclasses import dataclass

from factcheck.core import changes, claimreview, review, scales
from factcheck.core.actors import Actor
from factcheck.problems import Unprocessable
from factcheck.storage import store
from factcheck.storage.models import FactCheck, utcnow


@dataclass(frozen=True)
class Publication:
    """A just-published fact-check with the profile's warnings that did not block it."""

    fact_check: FactCheck
    warnings: list[dict[str, str]]


def publish(actor: Actor, fact_check_id: int, expected_version: int | None) -> Publication:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        # Refused (409) before the profile: a fact-check that may not be published yet.
        review.require(check, review.PUBLISH)
        scales.rate(check.organization, check)
        errors, warnings = claimreview.profile_problems(check)
        if errors:
            raise Unprocessable(
                "The fact-check does not pass the ClaimReview profile.", errors, warnings
            )
        before, after = review.move(check, review.PUBLISH)
        now = utcnow()
        check.date_published, check.date_modified = now, now
        changes.fact_check_changed(check, actor, "publish", {"status": [before, after]})
    return Publication(check, warnings)


def retract(actor: Actor, fact_check_id: int, expected_version: int | None, note: str) -> FactCheck:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        before, after = review.move(check, review.RETRACT)
        now = utcnow()
        check.retraction_note = note
        check.date_retracted, check.date_modified = now, now
        retraction = {"status": [before, after], "retraction": [None, note]}
        changes.fact_check_changed(check, actor, "retract", retraction)
    return check
