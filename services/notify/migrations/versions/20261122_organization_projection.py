"""organization projection

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:41:36.272603
"""

from collections.abc import Sequence

from alembic import op

from shared.projections import migrations as directory

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    directory.create_organization_projection(op)


def downgrade() -> None:
    directory.drop_organization_projection(op)
