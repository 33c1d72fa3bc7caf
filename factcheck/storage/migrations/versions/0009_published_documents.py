"""published documents: each public fact-check's served bytes and ETag, kept with the data

Revision ID: 0009
Revises: 0008

Written in the transaction of every change that alters the document, so a cache miss is one
primary-key read. Rows for data older than this migration are written on its first read
(core/published.py), not here: rendering needs the application's code and its SITE_URL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_documents",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(100), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("published_documents")
