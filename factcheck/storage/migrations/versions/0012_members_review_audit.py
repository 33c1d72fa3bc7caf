"""members and their roles, keys of members or tools, the review step, the audit log

Revision ID: 0012
Revises: 0011

Existing keys become tool keys: no member, their scopes as they were. Existing revisions keep
their actor text and name no member.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_removed", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_members_organization_id", "members", ["organization_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_organization_id", "audit_log", ["organization_id"])
    op.add_column(
        "organizations",
        sa.Column("approval_required", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    # SQLite cannot add a foreign key to a table in place; batch mode rebuilds it there.
    with op.batch_alter_table("api_keys") as table:
        table.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        table.add_column(sa.Column("date_last_used", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("date_expires", sa.DateTime(timezone=True), nullable=True))
        table.create_foreign_key("fk_api_keys_member_id", "members", ["member_id"], ["id"])
        table.create_index("ix_api_keys_member_id", ["member_id"])
    with op.batch_alter_table("revisions") as table:
        table.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        table.add_column(sa.Column("comment", sa.Text(), nullable=True))
        table.create_foreign_key("fk_revisions_member_id", "members", ["member_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("revisions") as table:
        table.drop_constraint("fk_revisions_member_id", type_="foreignkey")
        table.drop_column("comment")
        table.drop_column("member_id")
    with op.batch_alter_table("api_keys") as table:
        table.drop_index("ix_api_keys_member_id")
        table.drop_constraint("fk_api_keys_member_id", type_="foreignkey")
        table.drop_column("date_expires")
        table.drop_column("date_last_used")
        table.drop_column("member_id")
    op.drop_column("organizations", "approval_required")
    op.drop_index("ix_audit_log_organization_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_members_organization_id", table_name="members")
    op.drop_table("members")
