"""Every published event schema stays backward compatible with its released snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from shared.contracts import load_all
from shared.contracts.compat import incompatibilities, snapshot_path

CONTRACTS = sorted(load_all().items())


@pytest.mark.parametrize(
    ("key", "contract"), CONTRACTS, ids=[f"{t}.v{v}" for (t, v), _ in CONTRACTS]
)
def test_published_schema_is_backward_compatible(key: tuple[str, int], contract: Any) -> None:
    path = snapshot_path(*key)
    assert path.exists(), (
        f"{key[0]} v{key[1]} has no released snapshot: run `python -m shared.contracts release`"
    )
    released = json.loads(path.read_text())
    assert incompatibilities(released, contract.payload.model_json_schema()) == []


class Inner(BaseModel):
    a: int
    b: str | None = None


class V1(BaseModel):
    inner: Inner
    name: str
    note: str | None = None


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def test_adding_an_optional_field_is_compatible() -> None:
    class V2(BaseModel):
        inner: Inner
        name: str
        note: str | None = None
        extra: int | None = None

    assert incompatibilities(schema(V1), schema(V2)) == []


def test_removing_a_field_is_caught() -> None:
    class V2(BaseModel):
        inner: Inner
        note: str | None = None

    assert incompatibilities(schema(V1), schema(V2)) == ["name: field removed"]


def test_changing_a_type_is_caught_also_inside_nested_models() -> None:
    class Inner2(BaseModel):
        a: str
        b: str | None = None

    class V2(BaseModel):
        inner: Inner2
        name: str
        note: str | None = None

    assert incompatibilities(schema(V1), schema(V2)) == ["inner.a: type changed"]


def test_new_required_field_and_newly_required_field_are_caught() -> None:
    class V2(BaseModel):
        inner: Inner
        name: str
        note: str
        must: int

    assert incompatibilities(schema(V1), schema(V2)) == [
        "note: type changed",
        "must: new required field",
        "note: became required",
    ]


def test_making_an_optional_field_required_is_caught() -> None:
    class V2(BaseModel):
        inner: Inner
        name: str
        note: str | None

    assert incompatibilities(schema(V1), schema(V2)) == ["note: became required"]
