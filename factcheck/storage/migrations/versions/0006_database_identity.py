"""the database's identity, which namespaces every Redis key

Revision ID: 0006
Revises: 0003

One row holding a random id made when the database is created (this migration runs once per
database). Every Redis key the service writes carries it, so two deployments sharing a Redis, or a
database recreated under a warm Redis, never read each other's cached documents. It is never
changed afterwards: processes that disagreed about it would not see each other's invalidations.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    identity = op.create_table(
        "database_identity",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(identity, [{"id": uuid.uuid4().hex, "date_created": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("database_identity")
