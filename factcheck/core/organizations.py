"""Fact-checking organizations: created by an operator, read by everyone, kept up by their admins
(keys with the `admin` scope): their details and policies, and the versions of their rating scale.

An organization shows in every document of its work (the ClaimReview's author, the pages' header
and footer), so a change to it makes all of them stale; a new scale version does not, since each
verdict keeps the version it was given on.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from factcheck.core import audit, published, scales
from factcheck.core.actors import Actor
from factcheck.core.documents import html_document, json_document, serialize
from factcheck.problems import Conflict, NotFound, PreconditionFailed
from factcheck.schemas.organizations import OrganizationSchema
from factcheck.storage import store
from factcheck.storage.cache import invalidation, names, read_through
from factcheck.storage.documents import Document
from factcheck.storage.models import (
    DEFAULT_RATING_SCALE,
    FactCheck,
    Organization,
    RatingScale,
    utcnow,
)

# The organization's page lists this many of its latest published fact-checks.
RECENT_ON_PAGE = 20


def create_organization(slug: str, name: str, url: str, **details: Any) -> Organization:
    with store.unit_of_work():
        if store.organization_by_slug(slug) is not None:
            raise Conflict(f"An organization with slug {slug!r} exists already.")
        organization = Organization(
            slug=slug,
            name=name,
            url=url,
            rating_scale=details.pop("rating_scale", DEFAULT_RATING_SCALE),
            rating_scale_version=1,
        )
        for key, value in details.items():
            setattr(organization, key, value)
        store.add(organization)
        store.flush()
        store.add(
            RatingScale(
                organization_id=organization.id,
                version=1,
                scale=scales.from_checking(organization.rating_scale),
                date_created=utcnow(),
            )
        )
    return organization


def organization(slug: str) -> Organization:
    found = store.organization_by_slug(slug)
    if found is None:
        raise NotFound(f"No organization {slug!r}.")
    return found


def owned_organization(actor: Actor, slug: str) -> Organization:
    """The actor's own organization; another one is not found, as its drafts are not."""
    found = store.organization_by_slug(slug)
    if found is None or found.id != actor.organization_id:
        raise NotFound(f"No organization {slug!r} of this key.")
    return found


def etag(organization: Organization) -> str:
    """Names the version, as articles' and fact-checks' ETags do, for If-Match."""
    return f'"organization-{organization.id}-v{organization.version}"'


def document(organization: Organization) -> Document:
    """The organization as the API shows it, with its version ETag."""
    body = serialize(OrganizationSchema().dump(organization))
    return Document(body, etag(organization), "application/json", True)


def update_organization(
    actor: Actor, slug: str, expected_version: int | None, data: Mapping[str, Any]
) -> Organization:
    """Change the organization's details; the UPDATE checks the version read (412)."""
    with store.unit_of_work():
        found = owned_organization(actor, slug)
        if expected_version is not None and expected_version != found.version:
            raise PreconditionFailed(
                f"The organization is at version {found.version}, not {expected_version}; "
                "fetch it again."
            )
        changed = {key: value for key, value in data.items() if getattr(found, key) != value}
        if not changed:
            return found
        # As the audit log keeps every change: the API's field name, [before, after].
        details = {_camel(key): [getattr(found, key), value] for key, value in changed.items()}
        for key, value in changed.items():
            # A list removed by `null` is an empty list, as a new organization has.
            setattr(found, key, [] if value is None and key in {"languages", "same_as"} else value)
        found.date_modified = utcnow()
        store.flush()
        forget_organization(found)
        audit.record(actor, "organization.update", f"organization:{slug}", details)
    return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def forget_organization(organization: Organization, everything: bool = True) -> None:
    """Inside the change's unit of work: the organization's documents go once it commits, and
    with `everything` those of all its articles and fact-checks, which show it too."""
    if not everything:
        invalidation.record(names.organization_documents(organization.slug))
        return
    article_ids, fact_check_ids = store.documents_of_organization(organization.id)
    invalidation.record(names.showing_organization(organization.slug, article_ids, fact_check_ids))
    # Each stored ClaimReview names the organization as its author.
    published.keep_organization(organization.id)


# --- rating scales -----------------------------------------------------------------------------


def scale_versions(slug: str) -> Sequence[RatingScale]:
    """Every version of the organization's scale, oldest first (public)."""
    return store.rating_scales(organization(slug).id)


def scale_version(slug: str, version: int) -> RatingScale:
    found = store.rating_scale(organization(slug).id, version)
    if found is None:
        raise NotFound(f"No version {version} of {slug!r}'s rating scale.")
    return found


def new_scale_version(actor: Actor, slug: str, data: Mapping[str, Any]) -> RatingScale:
    """The organization's next scale, which verdicts given from now on are checked against;
    those given before keep theirs. The organization's version goes up: its document shows the
    current scale."""
    with store.unit_of_work():
        owner = owned_organization(actor, slug)
        scale = {
            "worstRating": data["worst_rating"],
            "bestRating": data["best_rating"],
            "labels": [
                {
                    "ratingValue": label["rating_value"],
                    "alternateName": label["alternate_name"],
                    "definition": label["definition"],
                }
                for label in data["labels"]
            ],
            "offScale": [
                {"alternateName": label["alternate_name"], "definition": label["definition"]}
                for label in data.get("off_scale", [])
            ],
        }
        now = utcnow()
        version = owner.rating_scale_version + 1
        created = RatingScale(
            organization_id=owner.id, version=version, scale=scale, date_created=now
        )
        store.add(created)
        owner.rating_scale = scales.checking_shape(scale)
        owner.rating_scale_version = version
        owner.date_modified = now
        store.flush()
        # Published verdicts keep their version: only the organization's own documents change.
        forget_organization(owner, everything=False)
        audit.record(actor, "rating-scale.add", f"organization:{slug}", {"version": version})
    return created


# --- public documents, cached ------------------------------------------------------------------


def scales_document(slug: str, render: Callable[[Sequence[RatingScale]], Any]) -> Document:
    def build() -> Document:
        return json_document(render(scale_versions(slug)))

    return read_through.serve(names.organization_documents(slug).rating_scales, build)


def scale_document(slug: str, version: int, render: Callable[[RatingScale], Any]) -> Document:
    """A version never changes once made, so its document is the same for good."""
    return json_document(render(scale_version(slug, version)))


def organization_page(
    slug: str, render: Callable[[Organization, RatingScale | None, Sequence[FactCheck]], str]
) -> Document:
    """The organization's page: its policies, its current scale with the definitions, its
    latest published fact-checks."""

    def build() -> Document:
        found = organization(slug)
        scale = store.rating_scale(found.id, found.rating_scale_version)
        recent = store.recent_published_fact_checks(found.id, RECENT_ON_PAGE)
        return html_document(render(found, scale, recent))

    return read_through.serve(names.organization_documents(slug).page, build)
