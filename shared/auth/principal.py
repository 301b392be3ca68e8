"""The caller of a request, as the access token (or a unit's API key) describes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from shared.auth.roles import Permission, Role


@dataclass(frozen=True)
class Grant:
    """One role bound to one organization node and its subtree. Operations grants are
    platform-wide (``node_id`` None); a member's self grant names no node."""

    role: Role
    node_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Principal:
    kind: Literal["account", "api_key"]
    # Account id or API key id: what the audit log records as the actor.
    subject: uuid.UUID
    name: str
    grants: tuple[Grant, ...] = ()
    # Set when the account belongs to a Party member (self-service).
    member_id: uuid.UUID | None = None
    # An API key acts for one unit and only with the permissions named here.
    only: frozenset[str] | None = field(default=None)

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.subject}"

    def can(self, permission: Permission) -> bool:
        if self.only is not None and permission.name not in self.only:
            return False
        return any(g.role in permission.roles for g in self.grants)

    def nodes_for(self, permission: Permission) -> list[uuid.UUID]:
        """The roots of the subtrees in which the principal has ``permission``."""
        if self.only is not None and permission.name not in self.only:
            return []
        return sorted(
            {g.node_id for g in self.grants if g.role in permission.roles and g.node_id},
            key=str,
        )

    def has_role_on(self, role: Role, node_id: uuid.UUID | None) -> bool:
        return node_id is not None and any(
            g.role == role and g.node_id == node_id for g in self.grants
        )
