"""directory: member facts, branch kind, report-ins

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from shared.projections import migrations as directory

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    directory.add_member_facts_and_report_ins(op)


def downgrade() -> None:
    directory.drop_member_facts_and_report_ins(op)
