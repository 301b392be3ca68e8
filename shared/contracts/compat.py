"""Backward compatibility of published payload schemas.

A released ``(type, version)`` is a promise to every consumer: events already in the
topics must still validate, and consumers written against the release must still find
every field they read. So against its released snapshot a schema may add optional
fields, but must not remove a field, change a field's type, or make a field required.
A change that needs any of those is a new version of the event type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RELEASED_DIR = Path(__file__).parent / "released"


def snapshot_path(type_: str, version: int) -> Path:
    return RELEASED_DIR / f"{type_}.v{version}.json"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _shape(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """What a value must look like, ignoring titles, descriptions and defaults."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return (
            "anyOf",
            sorted(json.dumps(_shape(s, root), sort_keys=True) for s in schema["anyOf"]),
        )
    if schema.get("type") == "object" and "properties" in schema:
        return ("object",)  # compared field by field in _compare
    if schema.get("type") == "array":
        return ("array", _shape(schema.get("items", {}), root))
    return (schema.get("type"), schema.get("format"), tuple(schema.get("enum", ())))


def _compare(
    old: dict[str, Any],
    old_root: dict[str, Any],
    new: dict[str, Any],
    new_root: dict[str, Any],
    path: str,
) -> list[str]:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name, old_field in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            problems.append(f"{where}: field removed")
            continue
        if _shape(old_field, old_root) != _shape(new_props[name], new_root):
            problems.append(f"{where}: type changed")
            continue
        if _shape(old_field, old_root) == ("object",):
            problems += _compare(old_field, old_root, new_props[name], new_root, where)
    for name in sorted(new_required - old_required):
        where = f"{path}.{name}" if path else name
        problems.append(
            f"{where}: became required" if name in old_props else f"{where}: new required field"
        )
    return problems


def incompatibilities(released: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return _compare(released, released, current, current, "")
