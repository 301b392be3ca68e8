"""The event envelope every service publishes and consumes.

Kafka value = the envelope as JSON; Kafka key = the aggregate id (``key``), so one
member's events stay in one partition, in order. A few envelope fields are copied
to headers so operators and the dead-letter tooling can read them without parsing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Tenant(BaseModel):
    """Where in the organization tree the event belongs (scopes every consumer's query)."""

    model_config = ConfigDict(frozen=True)

    district_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    tenant: Tenant = Field(default_factory=Tenant)
    key: str
    correlation_id: str | None = None
    causation_id: str | None = None
    actor: str | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        return value.astimezone(UTC)

    def to_bytes(self) -> bytes:
        # pydantic-core writes the JSON itself: the same bytes as
        # ``orjson.dumps(self.model_dump(mode="json"))`` without the Python dict between.
        return self.__pydantic_serializer__.to_json(self)

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        return cls.model_validate_json(raw)

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("event_id", str(self.event_id).encode()),
            ("event_type", self.type.encode()),
            ("event_version", str(self.version).encode()),
            ("producer", self.producer.encode()),
        ]
        if self.correlation_id:
            headers.append(("correlation_id", self.correlation_id.encode()))
        return headers
