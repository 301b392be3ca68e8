"""Base and messaging tables of the scoring service; feature tables sit in feature folders."""

from __future__ import annotations

from shared.db import Base, new_metadata
from shared.messaging_tables import add_messaging_tables


class ScoringBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = add_messaging_tables(ScoringBase.metadata)
