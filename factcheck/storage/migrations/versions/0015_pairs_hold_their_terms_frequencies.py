"""search_postings: a pair's posting holds its two terms' frequencies

Revision ID: 0015
Revises: 0014

A quoted phrase's candidates are the postings of its pair (two adjacent terms, indexed as a term
of their own), and they were scored by looking up each term for each candidate: on PostgreSQL at
1,000,000 fact-checks most of a phrase's time (docs/performance.md, stop 27). A pair is never
scored itself, so its posting's frequency now holds its terms' frequencies, packed as
search_index.pair_frequency packs them; this packs the postings already stored, from the terms'
own postings in the same fact-check.

The pairs' own frequencies were never read: a downgrade leaves the packed ones, which the code
before this revision does not read either.
"""

from alembic import op
from sqlalchemy import text

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# search_index.PAIR_BASE and UNPACKED as they were written: a migration keeps its own values.
PAIR_BASE = 2**15
UNPACKED = 0


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        first = "split_part(t.term, ' ', 1)"
        second = "split_part(t.term, ' ', 2)"
    else:
        first = "substr(t.term, 1, instr(t.term, ' ') - 1)"
        second = "substr(t.term, instr(t.term, ' ') + 1)"
    op.execute(
        text(
            "UPDATE search_postings AS p SET frequency = CASE"
            " WHEN a.frequency < :first_limit AND b.frequency < :base"
            " THEN a.frequency * :base + b.frequency ELSE :unpacked END"
            " FROM search_terms AS t, search_terms AS ta, search_terms AS tb,"
            " search_postings AS a, search_postings AS b"
            " WHERE t.term LIKE '% %' AND p.term_id = t.id"
            f" AND ta.term = {first} AND tb.term = {second}"
            " AND a.term_id = ta.id AND a.fact_check_id = p.fact_check_id"
            " AND b.term_id = tb.id AND b.fact_check_id = p.fact_check_id"
        ).bindparams(first_limit=2 * PAIR_BASE, base=PAIR_BASE, unpacked=UNPACKED)
    )


def downgrade() -> None:
    pass
