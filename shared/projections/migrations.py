"""The directory's migrations, written once for every service that keeps the member and
organization projections (``shared.projections``). A service's own revision files keep
their ids and order and call these, so a change to the projections is one change here
plus one small revision file per service.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

Op = Any  # alembic.op: a module proxy, passed in by the revision that runs


def create_member_projection(op: Op) -> None:
    op.create_table(
        "member_projection",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "projected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_projection")),
    )
    op.create_index(
        op.f("ix_member_projection_branch_id"), "member_projection", ["branch_id"], unique=False
    )
    op.create_index(
        op.f("ix_member_projection_community_id"),
        "member_projection",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_member_projection_district_id"), "member_projection", ["district_id"], unique=False
    )


def drop_member_projection(op: Op) -> None:
    op.drop_index(op.f("ix_member_projection_district_id"), table_name="member_projection")
    op.drop_index(op.f("ix_member_projection_community_id"), table_name="member_projection")
    op.drop_index(op.f("ix_member_projection_branch_id"), table_name="member_projection")
    op.drop_table("member_projection")


def create_organization_projection(op: Op) -> None:
    op.create_table(
        "organization_projection",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("ancestor_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("co_building_community_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "projected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_projection")),
    )
    op.create_index(
        "ix_organization_projection_ancestor_ids",
        "organization_projection",
        ["ancestor_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_organization_projection_community_id"),
        "organization_projection",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organization_projection_district_id"),
        "organization_projection",
        ["district_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organization_projection_parent_id"),
        "organization_projection",
        ["parent_id"],
        unique=False,
    )


def drop_organization_projection(op: Op) -> None:
    op.drop_index(
        op.f("ix_organization_projection_parent_id"), table_name="organization_projection"
    )
    op.drop_index(
        op.f("ix_organization_projection_district_id"), table_name="organization_projection"
    )
    op.drop_index(
        op.f("ix_organization_projection_community_id"), table_name="organization_projection"
    )
    op.drop_index(
        "ix_organization_projection_ancestor_ids",
        table_name="organization_projection",
        postgresql_using="gin",
    )
    op.drop_table("organization_projection")


def add_member_home_organization(op: Op) -> None:
    op.add_column("member_projection", sa.Column("home_organization_id", sa.Uuid(), nullable=True))
    op.create_index(
        op.f("ix_member_projection_home_organization_id"),
        "member_projection",
        ["home_organization_id"],
        unique=False,
    )


def drop_member_home_organization(op: Op) -> None:
    op.drop_index(op.f("ix_member_projection_home_organization_id"), table_name="member_projection")
    op.drop_column("member_projection", "home_organization_id")


def add_member_facts_and_report_ins(op: Op) -> None:
    """Member facts the services decide by (age, categories, specialties, joining date),
    a branch's kind, and the report-in projection. Rows projected before hold NULL or
    empty lists until the member's next event (or a replay of the members topic)."""
    for column in (
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("categories", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("specialties", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("joined_at", sa.Date(), nullable=True),
        sa.Column("lives_in_area", sa.Boolean(), nullable=True),
    ):
        op.add_column("member_projection", column)
    op.add_column(
        "organization_projection", sa.Column("branch_kind", sa.String(length=30), nullable=True)
    )
    op.create_table(
        "report_in_projection",
        sa.Column("report_in_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("district_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "projected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("report_in_id", name=op.f("pk_report_in_projection")),
    )
    for name in ("member_id", "unit_id", "community_id"):
        op.create_index(op.f(f"ix_report_in_projection_{name}"), "report_in_projection", [name])


def drop_member_facts_and_report_ins(op: Op) -> None:
    op.drop_table("report_in_projection")
    op.drop_column("organization_projection", "branch_kind")
    for column in ("lives_in_area", "joined_at", "specialties", "categories", "birth_date"):
        op.drop_column("member_projection", column)
    op.drop_column("member_projection", "gender")
