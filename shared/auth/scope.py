"""The row filter every scoped query applies: a row is visible when one of its anchor
organizations (home organization, residential community, …) lies in the subtree of a
node the caller holds a grant on for the action.

Each service passes its own organization table (members: ``organization``; the others:
their ``organization_projection``), whose ``ancestor_ids`` carry the path from the root.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.principal import Principal
from shared.auth.roles import Action
from shared.db import uuid_array


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
    action: Action,
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
    action: Action = Action.read,
) -> Any:
    """The row matching ``where`` if one of its ``anchors`` is in the caller's reach for
    ``action``; None otherwise (the caller answers 404 either way)."""
    query = select(model).where(where, visible(principal, action, anchors, org_id, ancestor_ids))
    return (await session.scalars(query.limit(1))).first()
