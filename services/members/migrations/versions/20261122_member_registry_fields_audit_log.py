"""member registry fields and audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = {
    "gender": 10,
    "id_number": 18,
    "mobile": 11,
    "address": 200,
    "work_unit": 100,
    "post": 50,
    "education": 20,
}
ARRAY_COLUMNS = ("specialties", "interests", "categories")


def upgrade() -> None:
    for name, length in TEXT_COLUMNS.items():
        op.add_column("member", sa.Column(name, sa.String(length=length), nullable=True))
    for name in ("birth_date", "joined_at", "full_member_at"):
        op.add_column("member", sa.Column(name, sa.Date(), nullable=True))
    for name in ARRAY_COLUMNS:
        op.add_column(
            "member",
            sa.Column(name, postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        )
    op.add_column("member", sa.Column("home_organization_id", sa.Uuid(), nullable=True))
    op.add_column(
        "member",
        sa.Column("lives_in_area", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column("member", sa.Column("merged_into_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_member_home_organization_id_organization"),
        "member",
        "organization",
        ["home_organization_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_member_merged_into_id_member"), "member", "member", ["merged_into_id"], ["id"]
    )
    op.create_index(op.f("ix_member_home_organization_id"), "member", ["home_organization_id"])
    op.create_index(op.f("ix_member_mobile"), "member", ["mobile"])
    op.create_index("ix_member_name_mobile", "member", ["name", "mobile"])
    op.create_index("ix_member_categories", "member", ["categories"], postgresql_using="gin")
    op.create_index("ix_member_specialties", "member", ["specialties"], postgresql_using="gin")
    op.create_index(
        "uq_member_district_id_number",
        "member",
        ["district_id", "id_number"],
        unique=True,
        postgresql_where=sa.text("id_number IS NOT NULL AND status <> 'merged'"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("district_id", sa.Uuid(), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id", "id"])
    op.create_index(op.f("ix_audit_log_district_id"), "audit_log", ["district_id"])
    op.create_index(op.f("ix_audit_log_community_id"), "audit_log", ["community_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    for name in (
        "uq_member_district_id_number",
        "ix_member_specialties",
        "ix_member_categories",
        "ix_member_name_mobile",
        op.f("ix_member_mobile"),
        op.f("ix_member_home_organization_id"),
    ):
        op.drop_index(name, table_name="member")
    op.drop_constraint(op.f("fk_member_merged_into_id_member"), "member", type_="foreignkey")
    op.drop_constraint(
        op.f("fk_member_home_organization_id_organization"), "member", type_="foreignkey"
    )
    for name in (
        *TEXT_COLUMNS,
        "birth_date",
        "joined_at",
        "full_member_at",
        *ARRAY_COLUMNS,
        "home_organization_id",
        "lives_in_area",
        "merged_into_id",
    ):
        op.drop_column("member", name)
