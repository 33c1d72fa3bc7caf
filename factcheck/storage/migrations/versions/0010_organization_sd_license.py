"""organizations.sd_license: the license of the structured data the service publishes for them

Revision ID: 0010
Revises: 0008

schema.org `sdLicense`, shown on each of the organization's ClaimReviews (in the feed, the
exports and wherever ClaimReview is served) once an operator sets it; null until then.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("sd_license", sa.String(2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("sd_license")
