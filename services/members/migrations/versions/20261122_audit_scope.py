"""audit log scope: the organizations each entry concerns

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Organization ids the snapshots of earlier entries name, by entity type.
SNAPSHOT_ANCHORS = (
    ("member", "home_organization_id"),
    ("report_in", "unit_id"),
    ("transfer", "from_organization_id"),
    ("transfer", "to_organization_id"),
    ("grant", "node_id"),
    ("api_key", "unit_id"),
)
UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _from_snapshot(entity_type: str, key: str, side: str) -> str:
    # Guarded cast: a value that isn't a UUID is skipped rather than failing the upgrade.
    value = f"{side} ->> '{key}'"
    return (
        f"CASE WHEN entity_type = '{entity_type}' AND {value} ~ '{UUID_TEXT}'"
        f" THEN ({value})::uuid END"
    )


def _backfill() -> str:
    candidates = [
        "community_id",
        "district_id",
        "CASE WHEN entity_type = 'organization' THEN entity_id END",
        *(
            _from_snapshot(entity_type, key, side)
            for entity_type, key in SNAPSHOT_ANCHORS
            for side in ("before", "after")
        ),
    ]
    return (
        "UPDATE audit_log SET organization_ids = ARRAY("
        "SELECT DISTINCT anchor FROM unnest(ARRAY["
        + ", ".join(candidates)
        + "]::uuid[]) AS anchor WHERE anchor IS NOT NULL)"
    )


def upgrade() -> None:
    op.add_column(
        "audit_log",
        sa.Column(
            "organization_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.execute(_backfill())
    op.create_index(
        "ix_audit_log_organization_ids",
        "audit_log",
        ["organization_ids"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_organization_ids", table_name="audit_log")
    op.drop_column("audit_log", "organization_ids")
