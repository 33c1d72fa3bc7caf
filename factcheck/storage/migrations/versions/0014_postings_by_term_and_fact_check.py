"""search_postings by (term, fact-check): a ranking's look-ups stay inside one term's postings

Revision ID: 0014
Revises: 0013

search_rank looks a candidate's missing terms up one term at a time, by fact-check id. By
(fact_check_id, term_id) each id was a seek somewhere in the whole index; by (term_id,
fact_check_id) the ids of one statement fall in one term's range, which stays in the cache
(at 1,000,000 fact-checks half the time a look-up took, on both engines; docs/performance.md,
stop 25). PostgreSQL carries frequency and length in the index, so a look-up reads no heap;
SQLite's index of a WITHOUT ROWID table holds the key's columns anyway.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_search_postings_term_fact_check",
        "search_postings",
        ["term_id", "fact_check_id"],
        unique=True,
        postgresql_include=["frequency", "length"],
    )


def downgrade() -> None:
    op.drop_index("ix_search_postings_term_fact_check", table_name="search_postings")
