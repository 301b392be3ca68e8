from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.activities.settings import ActivitiesSettings
from services.members.settings import MembersSettings


def test_each_service_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMBERS_DATABASE_URL", "postgresql+asyncpg://m@db/members")
    monkeypatch.setenv("ACTIVITIES_DATABASE_URL", "postgresql+asyncpg://a@db/activities")
    monkeypatch.setenv("MEMBERS_KAFKA_IDEMPOTENT_PRODUCER", "true")
    assert MembersSettings().database_url.endswith("/members")
    assert ActivitiesSettings().database_url.endswith("/activities")
    assert MembersSettings().kafka_idempotent_producer is True
    assert ActivitiesSettings().kafka_idempotent_producer is False


def test_topics_and_groups_carry_the_prefix() -> None:
    s = ActivitiesSettings(kafka_topic_prefix="t1.")
    assert s.topic("members") == "t1.members.events"
    assert s.consumer_group == "t1.activities"
    assert s.dead_letter_topic == "t1.activities.dead-letters"


def test_production_refuses_the_development_broker_default() -> None:
    with pytest.raises(ValidationError):
        MembersSettings(environment="production")
