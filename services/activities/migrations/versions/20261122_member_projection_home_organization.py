"""member projection home organization

The member's home organization (组织关系), so that a unit's admin sees the unit's
in-service members here as in the members service (双报到). Rows projected before this
revision hold NULL until the next event for that member fills it in (or a replay of the
members topic); until then only the community's and branch's staff see them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:12:00.000000
"""

from collections.abc import Sequence

from alembic import op

from shared.projections import migrations as directory

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    directory.add_member_home_organization(op)


def downgrade() -> None:
    directory.drop_member_home_organization(op)
