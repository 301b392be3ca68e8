"""Published event types and their payload schemas (the contracts between services).

A producer may only publish a registered ``(type, version)``; a consumer validates the
payload against the same model. ``tests/unit/test_contracts.py`` keeps every released
schema backward compatible with the snapshot under ``contracts/released/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class Contract:
    event_type: str
    version: int
    producer: str
    payload: type[BaseModel]


REGISTRY: dict[tuple[str, int], Contract] = {}


def register(type_: str, version: int, producer: str, payload: type[BaseModel]) -> Contract:
    key = (type_, version)
    if key in REGISTRY:
        raise ValueError(f"contract {type_} v{version} is registered twice")
    contract = Contract(type_, version, producer, payload)
    REGISTRY[key] = contract
    return contract


class UnknownContract(LookupError):
    pass


def contract_for(type_: str, version: int) -> Contract:
    try:
        return REGISTRY[(type_, version)]
    except KeyError:
        raise UnknownContract(f"no contract registered for {type_} v{version}") from None


def load_all() -> dict[tuple[str, int], Contract]:
    """Import every contract module so the registry is complete."""
    from shared.contracts import members, organizations, reportin, transfers  # noqa: F401

    return REGISTRY
