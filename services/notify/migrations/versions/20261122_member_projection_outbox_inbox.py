"""member projection outbox inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:35:38.573020
"""

from collections.abc import Sequence

from alembic import op

from shared.messaging_tables import create_messaging_tables, drop_messaging_tables
from shared.projections import migrations as directory

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables(op)
    directory.create_member_projection(op)


def downgrade() -> None:
    directory.drop_member_projection(op)
    drop_messaging_tables(op)
