"""transfers (组织关系转接)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transfer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("from_organization_id", sa.Uuid(), nullable=False),
        sa.Column("from_community_id", sa.Uuid(), nullable=True),
        sa.Column("from_district_id", sa.Uuid(), nullable=True),
        sa.Column("to_organization_id", sa.Uuid(), nullable=False),
        sa.Column("to_community_id", sa.Uuid(), nullable=True),
        sa.Column("to_district_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("answer", sa.String(length=200), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_transfer_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["from_organization_id"],
            ["organization.id"],
            name=op.f("fk_transfer_from_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["to_organization_id"],
            ["organization.id"],
            name=op.f("fk_transfer_to_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer")),
    )
    op.create_index(op.f("ix_transfer_member_id"), "transfer", ["member_id"])
    op.create_index(op.f("ix_transfer_from_organization_id"), "transfer", ["from_organization_id"])
    op.create_index(op.f("ix_transfer_to_organization_id"), "transfer", ["to_organization_id"])
    # At most one pending transfer per member.
    op.create_index(
        "uq_transfer_member_pending",
        "transfer",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    for name in (
        "uq_transfer_member_pending",
        op.f("ix_transfer_to_organization_id"),
        op.f("ix_transfer_from_organization_id"),
        op.f("ix_transfer_member_id"),
    ):
        op.drop_index(name, table_name="transfer")
    op.drop_table("transfer")
