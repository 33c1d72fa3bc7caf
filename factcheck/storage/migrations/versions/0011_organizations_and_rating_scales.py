"""organization policies, versioned rating scales, typed corrections

Revision ID: 0011
Revises: 0008

Each organization's current `rating_scale` becomes version 1 of its scale (labels and off-scale
labels without definitions, which it never had), and every fact-check rated so far is marked as
rated on it. Corrections made so far were all corrections.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating_scales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scale", sa.JSON(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "version"),
    )
    op.create_index("ix_rating_scales_organization_id", "rating_scales", ["organization_id"])
    for name in ("methodology", "ownership_funding_info", "error_reporting_url"):
        op.add_column("organizations", sa.Column(name, sa.String(2048), nullable=True))
    for name in ("languages", "same_as"):
        op.add_column(
            "organizations", sa.Column(name, sa.JSON(), nullable=False, server_default="[]")
        )
    op.add_column(
        "organizations",
        sa.Column("rating_scale_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("fact_checks", sa.Column("rating_scale_version", sa.Integer(), nullable=True))
    op.add_column(
        "corrections",
        sa.Column("kind", sa.String(16), nullable=False, server_default="correction"),
    )

    connection = op.get_bind()
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer()),
        sa.column("rating_scale", sa.JSON()),
        sa.column("date_created", sa.DateTime(timezone=True)),
    )
    scales = sa.table(
        "rating_scales",
        sa.column("organization_id", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("scale", sa.JSON()),
        sa.column("date_created", sa.DateTime(timezone=True)),
    )
    rows = connection.execute(
        sa.select(organizations.c.id, organizations.c.rating_scale, organizations.c.date_created)
    ).all()
    if rows:
        connection.execute(
            scales.insert(),
            [
                {
                    "organization_id": row.id,
                    "version": 1,
                    "scale": _first_version(row.rating_scale or {}),
                    "date_created": row.date_created,
                }
                for row in rows
            ],
        )
    fact_checks = sa.table(
        "fact_checks",
        sa.column("rating_scale_version", sa.Integer()),
        sa.column("alternate_name", sa.String()),
    )
    connection.execute(
        fact_checks.update()
        .where(fact_checks.c.alternate_name.is_not(None))
        .values(rating_scale_version=1)
    )


def _first_version(scale: dict[str, Any]) -> dict[str, Any]:
    """The stored shape of 0001's scale, in the API's shape (core/scales.from_checking)."""
    return {
        "worstRating": scale.get("worstRating"),
        "bestRating": scale.get("bestRating"),
        "labels": [
            {"ratingValue": label["ratingValue"], "alternateName": label["alternateName"]}
            for label in scale.get("labels", [])
        ],
        "offScale": [{"alternateName": label} for label in scale.get("offScale", [])],
    }


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of `organizations` would
    # have to drop the table that every other one references.
    op.drop_column("corrections", "kind")
    op.drop_column("fact_checks", "rating_scale_version")
    for name in (
        "rating_scale_version",
        "same_as",
        "languages",
        "error_reporting_url",
        "ownership_funding_info",
        "methodology",
    ):
        op.drop_column("organizations", name)
    op.drop_index("ix_rating_scales_organization_id", table_name="rating_scales")
    op.drop_table("rating_scales")
