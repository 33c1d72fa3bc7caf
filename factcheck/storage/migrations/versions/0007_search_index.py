"""the service's own search index: stemmed terms, postings and statistics of published text

Revision ID: 0007
Revises: 0006

Replaces 0003's engine-specific full-text search (FTS5 on SQLite, a generated tsvector on
PostgreSQL) with tables both engines share, filled in Python with a Snowball stemmer per language
(storage/search_text.py) and ranked with the same BM25 on both (storage/search_index.py). Only
published fact-checks are indexed; they are backfilled here.
"""

import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

from factcheck.storage.search_index import Indexed, analyse_row

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 2000

SQLITE_DROP = [
    "DROP TRIGGER fact_check_search_headline",
    "DROP TRIGGER fact_check_search_delete",
    "DROP TRIGGER fact_check_search_update",
    "DROP TRIGGER fact_check_search_insert",
    "DROP TABLE fact_check_search",
]
POSTGRES_DROP = [
    "DROP INDEX ix_fact_checks_search_vector",
    "ALTER TABLE fact_checks DROP COLUMN search_vector",
    "DROP TRIGGER article_headline_to_fact_checks ON articles",
    "DROP FUNCTION article_headline_to_fact_checks()",
    "DROP TRIGGER fact_check_article_headline ON fact_checks",
    "DROP FUNCTION fact_check_article_headline()",
    "ALTER TABLE fact_checks DROP COLUMN article_headline",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_DROP if dialect == "postgresql" else SQLITE_DROP:
        op.execute(statement)
    op.create_table(
        "search_terms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("term", sa.String(200), nullable=False, unique=True),
        sa.Column("documents", sa.Integer(), nullable=False),
    )
    op.create_table(
        "search_postings",
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("fact_check_id", sa.Integer(), nullable=False),
        # Each term's postings, most frequent first in a backward scan (search_rank's bound).
        sa.PrimaryKeyConstraint("term_id", "frequency", "length", "fact_check_id"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_search_postings_fact_check_term",
        "search_postings",
        ["fact_check_id", "term_id"],
        unique=True,
    )
    op.create_table(
        "search_documents",
        sa.Column("fact_check_id", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("length", sa.Integer(), nullable=False),
    )
    op.create_table(
        "search_totals",
        sa.Column("id", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("shortest", sa.BigInteger(), nullable=False),
    )
    _backfill(op.get_bind())


def _backfill(connection: Any) -> None:
    """Index every published fact-check, a batch at a time."""
    rows = connection.execute(
        sa.text(
            "SELECT f.id, f.in_language, f.claim_reviewed, f.quote, f.claim_author, "
            "f.rating_explanation, f.review_body, a.headline FROM fact_checks AS f "
            "JOIN articles AS a ON a.id = f.article_id WHERE f.status = 'published' ORDER BY f.id"
        ).columns(claim_author=sa.JSON())
    )
    term_ids: dict[str, int] = {}
    held: Counter[str] = Counter()
    documents, length, shortest = 0, 0, 0
    while batch := rows.fetchmany(BATCH):
        indexed = [analyse_row(row.id, dict(row._mapping), row.headline) for row in batch]
        _insert(connection, indexed, term_ids)
        for one in indexed:
            held.update(one.frequencies.keys())
            shortest = one.length if not documents else min(shortest, one.length)
            documents, length = documents + 1, length + one.length
    if term_ids:
        connection.execute(
            sa.text("UPDATE search_terms SET documents = :n WHERE id = :i"),
            [{"n": held[term], "i": i} for term, i in term_ids.items()],
        )
    connection.execute(
        sa.text(
            "INSERT INTO search_totals (id, documents, length, shortest) VALUES (1, :d, :l, :s)"
        ),
        {"d": documents, "l": length, "s": shortest},
    )


def _insert(connection: Any, indexed: list[Indexed], term_ids: dict[str, int]) -> None:
    new = sorted({t for one in indexed for t in one.frequencies} - term_ids.keys())
    if new:
        connection.execute(
            sa.text("INSERT INTO search_terms (term, documents) VALUES (:t, 0)"),
            [{"t": term} for term in new],
        )
        found = connection.execute(
            sa.text("SELECT term, id FROM search_terms WHERE term IN :terms").bindparams(
                sa.bindparam("terms", expanding=True)
            ),
            {"terms": new},
        )
        term_ids.update({term: i for term, i in found})
    connection.execute(
        sa.text(
            "INSERT INTO search_postings (term_id, fact_check_id, frequency, length) "
            "VALUES (:t, :f, :n, :l)"
        ),
        [
            {"t": term_ids[term], "f": one.fact_check_id, "n": n, "l": one.length}
            for one in indexed
            for term, n in one.frequencies.items()
        ],
    )
    connection.execute(
        sa.text("INSERT INTO search_documents (fact_check_id, length) VALUES (:f, :l)"),
        [{"f": one.fact_check_id, "l": one.length} for one in indexed],
    )


def downgrade() -> None:
    for table in ("search_totals", "search_documents", "search_postings", "search_terms"):
        op.drop_table(table)
    # 0003's full-text structures come back, built and backfilled by 0003's own statements.
    path = Path(__file__).with_name("0003_search_and_feed.py")
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    assert spec is not None and spec.loader is not None
    earlier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(earlier)
    dialect = op.get_bind().dialect.name
    for statement in earlier.POSTGRES_UP if dialect == "postgresql" else earlier.SQLITE_UP:
        op.execute(statement)
