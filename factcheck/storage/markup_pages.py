"""The queries behind Google's ClaimReviewMarkupPage: an organization's public fact-checks, all of
them or those of one page URL (the page itself, or the page with a `#fragment`)."""

import zlib
from collections.abc import Sequence

from sqlalchemy import or_, select, text

from factcheck.storage import store
from factcheck.storage.db import db
from factcheck.storage.models import PUBLISHED, RETRACTED, FactCheck


def hold_page_url(organization_id: int, page_key: str) -> None:
    """Serialize page creations at one URL until the caller's transaction ends, so that two
    concurrent pages.create cannot both find the URL free. SQLite's BEGIN IMMEDIATE already
    queues writers; PostgreSQL takes a transaction-scoped advisory lock on (organization, URL)."""
    if store.dialect() == "postgresql":
        # crc32 fits the lock's second int4 once shifted into the signed range.
        url_hash = zlib.crc32(page_key.encode()) - 2**31
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:organization, :url)"),
            {"organization": organization_id, "url": url_hash},
        )


def public_fact_checks(organization_id: int, page_key: str | None = None) -> Sequence[FactCheck]:
    """Published and retracted, in id order; with `page_key` (a normalised URL without its
    fragment), only those whose URL is that page's."""
    query = select(FactCheck).where(
        FactCheck.organization_id == organization_id,
        FactCheck.status.in_((PUBLISHED, RETRACTED)),
    )
    if page_key is not None:
        query = query.where(
            or_(
                FactCheck.url_key == page_key,
                FactCheck.url_key.startswith(page_key + "#", autoescape=True),
            )
        )
    # A page lists markups, never the article's full text (up to 200 kB each).
    rendering = store.rendering_only()
    return db.session.scalars(query.options(*rendering).order_by(FactCheck.id)).unique().all()


def page_index(organization_id: int) -> Sequence[tuple[int, str | None, str]]:
    """(id, url_key, status) of every public fact-check of the organization, in id order: enough
    to tell its pages apart without loading any of them."""
    query = (
        select(FactCheck.id, FactCheck.url_key, FactCheck.status)
        .where(
            FactCheck.organization_id == organization_id,
            FactCheck.status.in_((PUBLISHED, RETRACTED)),
        )
        .order_by(FactCheck.id)
    )
    return [(row.id, row.url_key, row.status) for row in db.session.execute(query)]


def fact_checks(ids: Sequence[int]) -> Sequence[FactCheck]:
    """These fact-checks, in id order, for rendering."""
    query = select(FactCheck).where(FactCheck.id.in_(ids)).options(*store.rendering_only())
    return db.session.scalars(query.order_by(FactCheck.id)).unique().all()
