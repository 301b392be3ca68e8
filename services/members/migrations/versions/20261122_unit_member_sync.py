"""unit member sync links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_member_link",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_synced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organization.id"], name=op.f("fk_unit_member_link_unit_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_unit_member_link_member_id_member")
        ),
        sa.PrimaryKeyConstraint("unit_id", "external_id", name=op.f("pk_unit_member_link")),
        sa.UniqueConstraint("unit_id", "member_id", name=op.f("uq_unit_member_link_unit_id")),
    )
    op.create_index(op.f("ix_unit_member_link_member_id"), "unit_member_link", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_member_link_member_id"), table_name="unit_member_link")
    op.drop_table("unit_member_link")
