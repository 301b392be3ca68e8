"""report-in records (双报到)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_in",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("district_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
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
            ["member_id"], ["member.id"], name=op.f("fk_report_in_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organization.id"], name=op.f("fk_report_in_unit_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["organization.id"],
            name=op.f("fk_report_in_community_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_report_in_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_in")),
    )
    op.create_index(op.f("ix_report_in_member_id"), "report_in", ["member_id"])
    op.create_index(op.f("ix_report_in_district_id"), "report_in", ["district_id"])
    op.create_index("ix_report_in_community_status", "report_in", ["community_id", "status"])
    op.create_index("ix_report_in_unit_status", "report_in", ["unit_id", "status"])
    # At most one active report-in per member.
    op.create_index(
        "uq_report_in_member_active",
        "report_in",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_table("report_in")  # its indexes go with it
