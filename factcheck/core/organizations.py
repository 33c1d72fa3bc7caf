"""Fact-checking organizations: created by an operator, read by everyone."""

from typing import Any

from factcheck.problems import Conflict, NotFound
from factcheck.storage import store
from factcheck.storage.models import DEFAULT_RATING_SCALE, Organization


def create_organization(slug: str, name: str, url: str, **details: Any) -> Organization:
    with store.unit_of_work():
        if store.organization_by_slug(slug) is not None:
            raise Conflict(f"An organization with slug {slug!r} exists already.")
        organization = Organization(
            slug=slug,
            name=name,
            url=url,
            rating_scale=details.pop("rating_scale", DEFAULT_RATING_SCALE),
        )
        for key, value in details.items():
            setattr(organization, key, value)
        store.add(organization)
    return organization


def organization(slug: str) -> Organization:
    found = store.organization_by_slug(slug)
    if found is None:
        raise NotFound(f"No organization {slug!r}.")
    return found
