"""The row filter every scoped query applies: a row is visible when one of its anchor
organizations (home organization, residential community, …) lies in the subtree of a
node the caller holds a grant on for the action.

Each service passes its own organization table (members: ``organization``; the others:
their ``organization_projection``), whose ``ancestor_ids`` carry the path from the root.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.deps import forbidden
from shared.auth.principal import Principal
from shared.auth.roles import Permission
from shared.db import uuid_array
from shared.errors import NotFound


def subtree_of(org_id: Any, ancestor_ids: Any, nodes: Sequence[uuid.UUID]) -> Any:
    """SELECT of the organization ids in the subtrees rooted at ``nodes``."""
    # Never correlated: the outer query may select from the same organization table.
    return (
        select(org_id)
        .where(or_(org_id.in_(list(nodes)), ancestor_ids.op("&&")(uuid_array(nodes))))
        .correlate(None)
    )


def visible(
    principal: Principal,
    action: Permission,
    anchors: Sequence[Any],
    org_id: Any,
    ancestor_ids: Any,
) -> ColumnElement[bool]:
    nodes = principal.nodes_for(action)
    if not nodes or not anchors:
        return false()
    subtree = subtree_of(org_id, ancestor_ids, nodes)
    return or_(*(anchor.in_(subtree) for anchor in anchors))


async def get_visible(
    session: AsyncSession,
    model: Any,
    where: ColumnElement[bool],
    principal: Principal,
    anchors: Sequence[Any],
    org_id: Any,
    ancestor_ids: Any,
    *,
    action: Permission,
) -> Any:
    """The row matching ``where`` if one of its ``anchors`` is in the caller's reach for
    ``action``; None otherwise (the caller answers 404 either way)."""
    query = select(model).where(where, visible(principal, action, anchors, org_id, ancestor_ids))
    return (await session.scalars(query.limit(1))).first()


@dataclass(frozen=True)
class Reach:
    """How a service's table is placed in the tree for access: its anchor columns (the
    organizations a row belongs to) and the service's organization table (id and
    ``ancestor_ids``)."""

    anchors: Sequence[Any]
    org_id: Any
    ancestor_ids: Any

    def visible(self, principal: Principal, action: Permission) -> ColumnElement[bool]:
        return visible(principal, action, self.anchors, self.org_id, self.ancestor_ids)


async def _exists(session: AsyncSession, model: Any, where: ColumnElement[bool]) -> bool:
    # FROM named: a filter that folds to false (no grant for the action) keeps its table.
    query = select(literal(1)).select_from(model).where(where)
    return bool(await session.scalar(select(query.exists())))


async def find_in_reach(
    session: AsyncSession,
    model: Any,
    where: ColumnElement[bool],
    principal: Principal,
    action: Permission,
    reach: Reach,
    *,
    read: Permission,
    not_found: str,
    for_update: bool = False,
) -> Any:
    """The row matching ``where`` when ``action`` is allowed on it. Out of the caller's
    sight it answers 404 exactly as a row that doesn't exist (``not_found``); a row the
    caller sees (``read``) but may not do this to answers 403."""
    if not await _exists(session, model, and_(where, reach.visible(principal, action))):
        readable = and_(where, reach.visible(principal, read))
        if action != read and await _exists(session, model, readable):
            raise forbidden()
        raise NotFound(not_found)
    query = select(model).where(where)
    if for_update:  # locked: read the row as it is now, not as the session last saw it
        query = query.with_for_update().execution_options(populate_existing=True)
    row = (await session.scalars(query)).first()
    if row is None:  # pragma: no cover - checked above in the same transaction
        raise NotFound(not_found)
    return row
