"""The caller of a request, as the access token (or a unit's API key) describes it."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from shared.auth.roles import ABOVE_COMMUNITY, ALLOWED, Action, Role


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
    # An API key acts for one unit and only on the actions listed here.
    only: frozenset[Action] | None = field(default=None)

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.subject}"

    def can(self, action: Action) -> bool:
        if self.only is not None and action not in self.only:
            return False
        return any(g.role in ALLOWED[action] for g in self.grants)

    def nodes_for(self, action: Action) -> list[uuid.UUID]:
        """The roots of the subtrees in which the principal may do ``action``."""
        if self.only is not None and action not in self.only:
            return []
        return sorted(
            {g.node_id for g in self.grants if g.role in ALLOWED[action] and g.node_id},
            key=str,
        )

    def has_role_on(self, role: Role, node_id: uuid.UUID | None) -> bool:
        return node_id is not None and any(
            g.role == role and g.node_id == node_id for g in self.grants
        )

    def sees_personal_data(
        self, member_id: uuid.UUID | None, places: Collection[uuid.UUID]
    ) -> bool:
        """Mobile, ID number and address in full: for the member themself and for whoever
        may change the record — a grant allowing ``Action.write`` on one of ``places``,
        the member's home organization and residential community with all their
        ancestors (the same reach ``access.members_visible`` gives writes). So the
        district, street and community admins over the member and the admin of the unit
        holding an in-service member's organization relationship see it in full; the
        read-only roles (branch secretary, group leader) and unit systems' keys don't."""
        if member_id is not None and self.member_id == member_id:
            return True
        return not set(self.nodes_for(Action.write)).isdisjoint(places)

    def reads_personal_data_from_above(
        self, member_id: uuid.UUID | None, places: Collection[uuid.UUID]
    ) -> bool:
        """Personal data in full only through a district or street grant: such a read is
        audited (the community's and the unit's own admins keep the record; the member
        reads their own)."""
        if not self.sees_personal_data(member_id, places):
            return False
        if member_id is not None and self.member_id == member_id:
            return False
        local = {
            g.node_id
            for g in self.grants
            if g.role in ALLOWED[Action.write] and g.role not in ABOVE_COMMUNITY
        }
        return local.isdisjoint(places)
