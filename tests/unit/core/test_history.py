"""The two histories of a fact-check, from revisions that no database holds."""

from datetime import UTC, datetime, timedelta
from typing import Any

from factcheck.core import history
from factcheck.storage.models import Correction, FactCheck, Organization, Revision

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
KEY = "key:0a1b2c:cms"


def revision(number: int, action: str, changes: dict[str, Any]) -> Revision:
    return Revision(
        id=100 + number,
        version=number,
        action=action,
        actor=KEY,
        changes=changes,
        date_created=START + timedelta(hours=number),
    )


def fact_check(status: str = "published", **fields: Any) -> FactCheck:
    return FactCheck(
        status=status,
        organization=Organization(slug="desk", name="Desk"),
        corrections=fields.pop("corrections", []),
        **fields,
    )


DRAFTED = [
    revision(1, "create", {"claimReviewed": "First wording", "reviewBody": None, "quote": ""}),
    revision(2, "update", {"claimReviewed": ["First wording", "Final wording"]}),
    revision(3, "publish", {"status": ["draft", "published"]}),
]


def actions(entries: list[history.Entry]) -> list[str]:
    return [entry.action for entry in entries]


def test_the_public_record_starts_with_what_was_published() -> None:
    (published,) = history.public(fact_check(), DRAFTED)
    assert (published.version, published.action, published.actor) == (3, "publish", "desk")
    # Only what it had: empty fields do not appear.
    assert published.changes == {"claimReviewed": [None, "Final wording"]}
    assert published.date_created == DRAFTED[2].date_created


def test_the_full_record_is_every_revision_as_stored() -> None:
    entries = history.full(fact_check(), DRAFTED)
    assert actions(entries) == ["create", "update", "publish"]
    assert {entry.actor for entry in entries} == {KEY}
    assert [entry.changes for entry in entries] == [r.changes for r in DRAFTED]


def test_corrections_and_the_retraction_carry_their_notes_in_order() -> None:
    check = fact_check(
        "retracted",
        corrections=[Correction(note="First fix."), Correction(note="Second fix.")],
        retraction_note="Withdrawn.",
    )
    later = [
        revision(4, "correct", {"rating": [{"alternateName": "A"}, {"alternateName": "B"}]}),
        revision(5, "update", {"inLanguage": ["en", "en-GB"]}),
        revision(6, "correct", {"rating": [{"alternateName": "B"}, {"alternateName": "C"}]}),
        revision(7, "retract", {"status": ["published", "retracted"]}),
    ]
    entries = history.public(check, DRAFTED + later)
    assert actions(entries) == ["publish", "correct", "update", "correct", "retract"]
    assert [entry.note for entry in entries] == [
        None,
        "First fix.",
        None,
        "Second fix.",
        "Withdrawn.",
    ]


def test_fields_the_public_never_sees_stay_out_of_the_public_record() -> None:
    later = [revision(4, "update", {"reviewBody": ["a", "b"], "reviewerNote": ["x", "y"]})]
    drafted = [
        revision(1, "create", {"claimReviewed": "Claim", "reviewerNote": "internal"}),
        *DRAFTED[2:],
    ]
    published, edited = history.public(fact_check(), drafted + later)
    assert published.changes == {"claimReviewed": [None, "Claim"]}
    assert edited.changes == {"reviewBody": ["a", "b"]}


def test_a_fact_check_inserted_published_shows_its_later_changes() -> None:
    """`flask generate` inserts published rows with no revision; later changes are public."""
    later = [revision(2, "correct", {"rating": [None, {"alternateName": "False"}]})]
    check = fact_check(corrections=[Correction(note="Fixed.")])
    (entry,) = history.public(check, later)
    assert (entry.action, entry.note, entry.actor) == ("correct", "Fixed.", "desk")


def test_a_draft_has_no_public_record() -> None:
    assert history.public(fact_check("draft"), DRAFTED[:2]) == []
