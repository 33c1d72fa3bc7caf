"""full-text search and the feed's change sequence

Revision ID: 0003
Revises: 0004

SQLite: an FTS5 table (porter stemming) holding a copy of the searched text of each fact-check,
kept in step by triggers on fact_checks and articles, so every writer (the service, the bulk
generator, a manual UPDATE) keeps it right.
PostgreSQL: a stored generated tsvector (english config) with a GIN index. A generated column can
only read its own row, so the article headline is copied into fact_checks.article_headline by
triggers, which the generated column then includes.
Both: feed_entries, one row per fact-check that has been public, whose sequence moves forward on
every change (see records.record_feed_change).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_FTS_ROW = """
    SELECT f.id, f.claim_reviewed, f.quote, json_extract(f.claim_author, '$.name'),
           f.rating_explanation, f.review_body, a.headline
    FROM fact_checks AS f JOIN articles AS a ON a.id = f.article_id
"""
SQLITE_INSERT = (
    "INSERT INTO fact_check_search (rowid, claim, quote, claimant, explanation, body, headline)"
)

SQLITE_UP = [
    """CREATE VIRTUAL TABLE fact_check_search USING fts5(
        claim, quote, claimant, explanation, body, headline,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER fact_check_search_insert AFTER INSERT ON fact_checks BEGIN
        {SQLITE_INSERT} {SQLITE_FTS_ROW} WHERE f.id = new.id;
    END""",
    f"""CREATE TRIGGER fact_check_search_update AFTER UPDATE ON fact_checks BEGIN
        DELETE FROM fact_check_search WHERE rowid = old.id;
        {SQLITE_INSERT} {SQLITE_FTS_ROW} WHERE f.id = new.id;
    END""",
    """CREATE TRIGGER fact_check_search_delete AFTER DELETE ON fact_checks BEGIN
        DELETE FROM fact_check_search WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER fact_check_search_headline AFTER UPDATE OF headline ON articles BEGIN
        DELETE FROM fact_check_search
            WHERE rowid IN (SELECT id FROM fact_checks WHERE article_id = new.id);
        {SQLITE_INSERT} {SQLITE_FTS_ROW} WHERE f.article_id = new.id;
    END""",
    f"{SQLITE_INSERT} {SQLITE_FTS_ROW}",
]
SQLITE_DOWN = [
    "DROP TRIGGER fact_check_search_headline",
    "DROP TRIGGER fact_check_search_delete",
    "DROP TRIGGER fact_check_search_update",
    "DROP TRIGGER fact_check_search_insert",
    "DROP TABLE fact_check_search",
]

POSTGRES_UP = [
    "ALTER TABLE fact_checks ADD COLUMN article_headline varchar(300)",
    """CREATE FUNCTION fact_check_article_headline() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.article_headline := (SELECT headline FROM articles WHERE id = NEW.article_id);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER fact_check_article_headline
        BEFORE INSERT OR UPDATE OF article_id ON fact_checks
        FOR EACH ROW EXECUTE FUNCTION fact_check_article_headline()""",
    """CREATE FUNCTION article_headline_to_fact_checks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE fact_checks SET article_headline = NEW.headline WHERE article_id = NEW.id;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER article_headline_to_fact_checks
        AFTER UPDATE OF headline ON articles
        FOR EACH ROW EXECUTE FUNCTION article_headline_to_fact_checks()""",
    """UPDATE fact_checks AS f SET article_headline = a.headline
        FROM articles AS a WHERE a.id = f.article_id""",
    # Weights: the claim counts most, then quote and claimant, then explanation and headline.
    """ALTER TABLE fact_checks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(claim_reviewed, '')), 'A')
        || setweight(to_tsvector('english', coalesce(quote, '')), 'B')
        || setweight(to_tsvector('english', coalesce(claim_author ->> 'name', '')), 'B')
        || setweight(to_tsvector('english', coalesce(rating_explanation, '')), 'C')
        || setweight(to_tsvector('english', coalesce(article_headline, '')), 'C')
        || setweight(to_tsvector('english', coalesce(review_body, '')), 'D')
    ) STORED""",
    "CREATE INDEX ix_fact_checks_search_vector ON fact_checks USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX ix_fact_checks_search_vector",
    "ALTER TABLE fact_checks DROP COLUMN search_vector",
    "DROP TRIGGER article_headline_to_fact_checks ON articles",
    "DROP FUNCTION article_headline_to_fact_checks()",
    "DROP TRIGGER fact_check_article_headline ON fact_checks",
    "DROP FUNCTION fact_check_article_headline()",
    "ALTER TABLE fact_checks DROP COLUMN article_headline",
]


def upgrade() -> None:
    op.create_table(
        "feed_entries",
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("fact_check_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sequence"),
        sa.UniqueConstraint("fact_check_id"),
        # SQLite would otherwise hand the highest sequence out again after its row moved on.
        sqlite_autoincrement=True,
    )
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)
    op.execute(
        "INSERT INTO feed_entries (fact_check_id) "
        "SELECT id FROM fact_checks WHERE status <> 'draft' ORDER BY date_modified, id"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_DOWN if dialect == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("feed_entries")
