"""An organization's published fact-checks, page by page in id order, for the exports."""

from collections.abc import Iterator, Sequence

from sqlalchemy import select

from factcheck.storage import store
from factcheck.storage.db import db
from factcheck.storage.models import PUBLISHED, FactCheck


def published_pages(organization_id: int, page_size: int) -> Iterator[Sequence[FactCheck]]:
    """Keyset pages (id > the last one seen), so that an export of any size holds one page in
    memory: each page leaves the session once the caller asks for the next."""
    after = 0
    while True:
        page = (
            db.session.scalars(
                select(FactCheck)
                .options(*store.rendering_only())
                .where(
                    FactCheck.organization_id == organization_id,
                    FactCheck.status == PUBLISHED,
                    FactCheck.id > after,
                )
                .order_by(FactCheck.id)
                .limit(page_size)
            )
            .unique()
            .all()
        )
        if not page:
            return
        yield page
        after = page[-1].id
        # Their articles, organizations and corrections too: a read-only session holds nothing
        # else an export needs.
        db.session.expunge_all()
