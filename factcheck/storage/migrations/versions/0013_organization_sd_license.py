"""organizations.sd_license: the license of the structured data the service publishes for them

Revision ID: 0013
Revises: 0012

schema.org `sdLicense`, shown on each of the organization's ClaimReviews (in the feed, the
exports and wherever ClaimReview is served) once an operator sets it; null until then.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("sd_license", sa.String(2048), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch copy of the table would drop
    # it, which the articles' and keys' foreign keys refuse.
    op.drop_column("organizations", "sd_license")
