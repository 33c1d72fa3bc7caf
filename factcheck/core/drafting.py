"""Writing fact-checks: create a draft, edit it (a published one only by correction), delete it."""

import json
from typing import Any

from factcheck.core import changes, claimreview, review, scales
from factcheck.core.actors import Actor
from factcheck.core.articles import quote_at
from factcheck.core.reads import owned_article
from factcheck.core.urls import normalize
from factcheck.problems import Conflict, Forbidden, Unprocessable
from factcheck.schemas.fact_checks import CORRECTION_KINDS, ClaimAuthorSchema, RatingSchema
from factcheck.storage import store
from factcheck.storage.models import (
    DRAFT,
    PUBLISHED,
    RATING_COLUMNS,
    RETRACTED,
    UNPUBLISHED,
    Correction,
    FactCheck,
    Organization,
    utcnow,
)

# What a published fact-check says to its readers, by the names changes.diff reports: the claim
# (and where the article says it), the verdict with its explanation, the evidence. Changing any
# of it is a correction: a public note, by a key that may publish. The review's prose, the
# claimant's details and the links stay editable for typos.
READER_FIELDS = frozenset({"claimReviewed", "quote", "quoteOffset", "rating", "evidence"})
# Nested objects a PATCH merges into the stored one (RFC 7386), and the schema each must pass.
MERGED = {"rating": RatingSchema(), "claim_author": ClaimAuthorSchema()}
WIRE_NAMES = {"rating": "/rating", "claim_author": "/claimAuthor"}
CORRECTION = CORRECTION_KINDS[0]


def create_fact_check(actor: Actor, article_id: int, data: dict[str, Any]) -> FactCheck:
    with store.unit_of_work():
        article = owned_article(actor, article_id)
        check = FactCheck(
            organization_id=actor.organization_id,
            article=article,
            status=DRAFT,
            evidence=[],
            # Known empty: the answer's rendering would otherwise SELECT them.
            corrections=[],
        )
        _apply(check, data)
        if "rating" in data:
            _check_scale(check)
        store.add(check)
        store.flush()
        changes.record_revision(check, actor, "create", changes.snapshot(check))
    return check


def update_fact_check(
    actor: Actor, fact_check_id: int, expected_version: int | None, data: dict[str, Any]
) -> FactCheck:
    """Edit a draft freely; a published fact-check changes as a correction (see _correct)."""
    data = dict(data)
    correction_note = data.pop("correction", None)
    correction_kind = data.pop("correction_kind", None)
    if correction_kind is not None and correction_note is None:
        raise Unprocessable(
            "A correction's kind goes with its note.",
            errors=[{"pointer": "/correctionKind", "detail": "Send it with `correction`."}],
        )
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        if check.status == RETRACTED:
            raise Conflict("A retracted fact-check cannot change.")
        before = changes.snapshot(check)
        _assign(check, _merge(check, data))
        changed = changes.diff(before, changes.snapshot(check))
        if not changed:
            return check
        if check.status == PUBLISHED:
            # Who before what: may this key correct, and did it say why, before the content.
            _may_correct(actor, changed, correction_note)
        _place_quote(check)
        changed = changes.diff(before, changes.snapshot(check))
        if "rating" in changed:
            _check_scale(check)
        action = "update"
        if check.status == PUBLISHED:
            action = _correct(check, changed, correction_note, correction_kind or CORRECTION)
        left = review.after_edit(check)
        if left is not None:
            changed["status"] = [left, check.status]
        check.date_modified = utcnow()
        changes.fact_check_changed(check, actor, action, changed)
    return check


def _merge(check: FactCheck, data: dict[str, Any]) -> dict[str, Any]:
    """The PATCH's nested objects merged into the stored ones (JSON Merge Patch)."""
    stored = {"rating": check.rating, "claim_author": check.claim_author}
    return {
        key: changes.merged(MERGED[key], stored[key], value, WIRE_NAMES[key])
        if key in MERGED
        else value
        for key, value in data.items()
    }


def _check_scale(check: FactCheck) -> None:
    organization = store.get(Organization, check.organization_id)
    if organization is None:
        scales.check(None, check)
        return
    scales.rate(organization, check)


def _may_correct(actor: Actor, changed: dict[str, Any], note: str | None) -> None:
    """A change readers see of a published fact-check needs `publish` and a correction note; so
    does any public note."""
    corrected = READER_FIELDS & changed.keys()
    if (corrected or note) and "publish" not in actor.scopes:
        raise Forbidden(
            "Changing what readers see of a published fact-check, or noting a change publicly, "
            "is a correction: it needs a key with the 'publish' scope."
        )
    if corrected and not note:
        raise Unprocessable(
            "Changing what readers see of a published fact-check needs a correction note.",
            errors=[{"pointer": "/correction", "detail": "Say what changed and why."}],
        )


def _correct(check: FactCheck, changed: dict[str, Any], note: str | None, kind: str) -> str:
    """A change to a published fact-check: a correction (or a clarification, an update) if
    readers see it or a note says what it is; the profile holds."""
    action = "update"
    # A change readers see has a note by now (_may_correct); a note is kept whatever it is on.
    if note:
        check.corrections.append(Correction(note=note, kind=kind, date_created=utcnow()))
        action = "correct"
    errors, _ = claimreview.profile_problems(check)
    if errors:
        raise Unprocessable("A published fact-check must keep passing the profile.", errors)
    return action


def delete_fact_check(actor: Actor, fact_check_id: int, expected_version: int | None) -> None:
    with store.unit_of_work():
        check = changes.fact_check_at(actor, fact_check_id, expected_version)
        if check.status not in UNPUBLISHED:
            raise Conflict("Published fact-checks are retracted, not deleted.")
        changes.forget_fact_check(check)
        store.delete(check)


def _apply(check: FactCheck, data: dict[str, Any]) -> None:
    _assign(check, data)
    _place_quote(check)


def _assign(check: FactCheck, data: dict[str, Any]) -> None:
    data = dict(data)
    if "rating" in data:
        rating = data.pop("rating") or {}
        for column in RATING_COLUMNS.values():
            setattr(check, column, rating.get(column))
    if "evidence" in data:
        data["evidence"] = [_json_ready(item) for item in data["evidence"]]
    if data.get("claim_author") is not None:
        # Members a merge removed are left out, not stored as null.
        author = {key: value for key, value in data["claim_author"].items() if value is not None}
        data["claim_author"] = _json_ready(author)
    if "url" in data:
        check.url_key = normalize(data["url"], keep_fragment=True) if data["url"] else None
    for key, value in data.items():
        setattr(check, key, value)


def _place_quote(check: FactCheck) -> None:
    """Verify a given offset against the article text, or find it when it was left out."""
    text = check.article.text
    if not text or not check.quote:
        return
    if check.quote_offset is None:
        found = text.find(check.quote)
        if found < 0:
            raise Unprocessable(
                "The quote is not in the article text.",
                errors=[{"pointer": "/quote", "detail": "Not found verbatim in the article."}],
            )
        check.quote_offset = found
    elif not quote_at(text, check.quote, check.quote_offset):
        actual = text.find(check.quote)
        hint = f" It is at {actual}." if actual >= 0 else " The quote is not in the text."
        raise Unprocessable(
            "The quote is not at quoteOffset in the article text.",
            errors=[{"pointer": "/quoteOffset", "detail": "Does not match the text." + hint}],
        )


def _json_ready(value: Any) -> Any:
    """Dates in nested JSON columns are kept as ISO strings."""
    return json.loads(json.dumps(value, default=lambda item: item.isoformat()))
