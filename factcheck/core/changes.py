"""How a change is made: the version check, the revision it leaves, and what it makes stale.

Every write of a fact-check runs in one unit of work: the change, its revision, the record of
the cached documents it makes stale and (once public) its place in the feed commit together.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from factcheck.core import outbox, published, reads
from factcheck.core.actors import Actor
from factcheck.problems import NotFound, PreconditionFailed, Unprocessable
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.storage import records, store
from factcheck.storage.cache import invalidation, names
from factcheck.storage.models import UNPUBLISHED, Article, FactCheck, Revision, utcnow


def article_at(actor: Actor, article_id: int, expected_version: int | None) -> Article:
    """The actor's article to change, if it is still at the version the client read."""
    article = reads.owned_article(actor, article_id)
    _check_version(article.version, expected_version)
    return article


def fact_check_at(actor: Actor, fact_check_id: int, expected_version: int | None) -> FactCheck:
    """The actor's fact-check to change, if it is still at the version the client read."""
    # Loaded with its corrections in one SELECT (the answer renders them), not two.
    check = store.fact_check_for_change(fact_check_id)
    if check is None or check.organization_id != actor.organization_id:
        # Another organization's is as absent as a missing one (as reads.owned_fact_check).
        raise NotFound(f"No fact-check {fact_check_id}.")
    _check_version(check.version, expected_version)
    return check


def _check_version(current: int, expected: int | None) -> None:
    """`expected` None stands for `If-Match: *`. The UPDATE itself checks again (version_id_col)."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The resource is at version {current}, not {expected}; fetch it again."
        )


def merged(
    schema: Schema, stored: Mapping[str, Any] | None, patch: Mapping[str, Any] | None, at: str
) -> dict[str, Any] | None:
    """JSON Merge Patch (RFC 7386) of one nested object, in loaded (attribute) names: members the
    patch sends replace the stored ones, `null` removes one, members left out stay. None when the
    patch removes the object. The result must pass `schema` whole: 422 with pointers under `at`.
    """
    if patch is None:
        return None
    result = {key: value for key, value in {**(stored or {}), **patch}.items() if value is not None}
    try:
        loaded: dict[str, Any] = schema.load(schema.dump(result))
    except ValidationError as error:
        problems = [
            {"pointer": at + where, "detail": detail}
            for where, detail in pointed_messages(error.messages)
        ]
        raise Unprocessable(
            f"{at} as merged with the stored one does not validate.", problems
        ) from None
    return loaded


def pointed_messages(messages: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """A marshmallow error's messages as (JSON pointer, message) pairs; `_schema` messages (from
    a schema's own validators) point at the object they were raised on."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from pointed_messages(value, where if key == "_schema" else f"{where}/{key}")
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from pointed_messages(message, where)
    else:
        yield where, str(messages)


# Built once: a schema's construction deep-copies its fields, a cost every write paid.
_EDITABLE = FactCheckSchema(
    exclude=("id", "version", "status", "corrections", "retraction", "organization")
)


def snapshot(check: FactCheck) -> dict[str, Any]:
    """The client-editable fields as the API shows them, to diff for revisions."""
    dumped: dict[str, Any] = _EDITABLE.dump(check)
    return dumped


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and not key.startswith("date")
    }


def record_revision(
    check: FactCheck,
    actor: Actor,
    action: str,
    changes: dict[str, Any],
    comment: str | None = None,
) -> None:
    store.add(
        Revision(
            fact_check_id=check.id,
            version=check.version,
            action=action,
            actor=actor.name,
            member_id=actor.member_id,
            changes=changes,
            comment=comment,
            date_created=utcnow(),
        )
    )


def fact_check_changed(
    check: FactCheck,
    actor: Actor,
    action: str,
    changes: dict[str, Any],
    comment: str | None = None,
) -> None:
    """Inside the change's unit of work: its revision, its stale documents and (once public) its
    place in the feed, and the webhook event that tells subscribers."""
    store.flush()
    record_revision(check, actor, action, changes, comment)
    forget_fact_check(check)
    if check.status not in UNPUBLISHED:
        records.record_feed_change(check.id)
    outbox.fact_check_changed(check, action)


def forget_fact_check(check: FactCheck) -> None:
    """Every cached document that shows the fact-check goes once the unit of work commits; its
    stored documents change in the unit of work itself."""
    # The organization's page lists its latest published fact-checks.
    listed = names.organization_documents(check.organization.slug).page
    invalidation.record([*names.showing_fact_check(check.id, check.article_id), listed])
    published.keep(check)


def forget_article(article: Article) -> None:
    checks = store.fact_checks_of_article(article.id)
    invalidation.record(names.showing_article(article.id, (check.id for check in checks)))
    # The article shows in its fact-checks' ClaimReviews: their stored documents change too.
    for check in checks:
        published.keep(check)
