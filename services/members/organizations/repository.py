"""All SQL of the organization tree. Writes flush only; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped

from services.members.organizations.models import Organization
from shared.contracts.vocabulary import OrgKind
from shared.db import uuid_array

ACTIVE = "active"
INACTIVE = "inactive"

# Moves are rare staff operations; one at a time per database rules out two crossing
# moves (A under B while B goes under A) building a cycle neither transaction could see.
_MOVE_LOCK = 0x6F72675F6D6F7665  # "org_move"


def in_subtree(root_id: uuid.UUID) -> ColumnElement[bool]:
    """The root and everything under it. ``@>`` (not ``= ANY``) so the GIN index serves it."""
    return or_(
        Organization.id == root_id,
        Organization.ancestor_ids.op("@>")(uuid_array([root_id])),
    )


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, organization: Organization) -> Organization:
        self.session.add(organization)
        await self.session.flush()
        await self.session.refresh(organization)  # server-side timestamps
        return organization

    async def get(
        self, org_id: uuid.UUID, *, lock: bool = False, share: bool = False
    ) -> Organization | None:
        """``lock`` takes the row for update; ``share`` keeps others from changing it
        (a parent while a child is placed under it)."""
        query = select(Organization).where(Organization.id == org_id)
        if lock or share:
            query = query.with_for_update(read=share and not lock)
        return (
            await self.session.scalars(query.execution_options(populate_existing=True))
        ).one_or_none()

    async def many(self, ids: Sequence[uuid.UUID]) -> Sequence[Organization]:
        return (
            await self.session.scalars(select(Organization).where(Organization.id.in_(ids)))
        ).all()

    async def kinds_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OrgKind]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Organization.id, Organization.kind).where(Organization.id.in_(ids))
        )
        return {row.id: OrgKind(row.kind) for row in rows}

    async def lock_name(self, parent_id: uuid.UUID | None, kind: str, name: str) -> None:
        """Serialize writers of one (parent, kind, name) until commit, so two concurrent
        requests cannot both find the name free and create a duplicate."""
        key = f"organization:{parent_id}:{kind}:{name}"
        await self.session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0)))
        )

    async def lock_moves(self) -> None:
        await self.session.execute(select(func.pg_advisory_xact_lock(_MOVE_LOCK)))

    async def find_active(
        self, parent_id: uuid.UUID | None, kind: str, name: str
    ) -> Organization | None:
        parent = (
            Organization.parent_id.is_(None)
            if parent_id is None
            else Organization.parent_id == parent_id
        )
        query = select(Organization).where(
            parent, Organization.kind == kind, Organization.name == name
        )
        return (await self.session.scalars(query.where(Organization.status == ACTIVE))).first()

    async def subtree(
        self,
        root_id: uuid.UUID | None,
        *,
        kind: str | None = None,
        include_inactive: bool = False,
        limit: int | None = None,
        lock: bool = False,
        where: ColumnElement[bool] | None = None,
        after: tuple[int, str, uuid.UUID] | None = None,
    ) -> Sequence[Organization]:
        """The subtree under ``root_id`` (root included; everything when None), by depth
        then name (then id); ``where`` narrows it further (e.g. to the caller's reach);
        ``after``: the (depth, name, id) the previous page ended with."""
        depth = func.cardinality(Organization.ancestor_ids)
        query = select(Organization)
        if after is not None:
            query = query.where(tuple_(depth, Organization.name, Organization.id) > after)
        if where is not None:
            query = query.where(where)
        if root_id is not None:
            query = query.where(in_subtree(root_id))
        if kind is not None:
            query = query.where(Organization.kind == kind)
        if not include_inactive:
            query = query.where(Organization.status == ACTIVE)
        query = query.order_by(depth, Organization.name, Organization.id)
        if limit is not None:
            query = query.limit(limit)
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).all()

    async def children(
        self,
        parent_id: uuid.UUID,
        *,
        include_inactive: bool = False,
        limit: int | None = None,
        after: tuple[str, uuid.UUID] | None = None,
    ) -> Sequence[Organization]:
        """By name (then id); ``after``: the (name, id) the previous page ended with."""
        query = select(Organization).where(Organization.parent_id == parent_id)
        if not include_inactive:
            query = query.where(Organization.status == ACTIVE)
        if after is not None:
            query = query.where(tuple_(Organization.name, Organization.id) > after)
        query = query.order_by(Organization.name, Organization.id)
        if limit is not None:
            query = query.limit(limit)
        return (await self.session.scalars(query)).all()

    async def active_children_count(self, parent_id: uuid.UUID) -> int:
        query = select(func.count()).where(
            Organization.parent_id == parent_id, Organization.status == ACTIVE
        )
        return int((await self.session.execute(query)).scalar_one())

    async def update(self, org_id: uuid.UUID, values: dict[str, Any]) -> Organization:
        """Apply ``values``, bump the version and return the fresh row."""
        statement = (
            update(Organization)
            .where(Organization.id == org_id)
            .values(**values, version=Organization.version + 1, updated_at=func.now())
            .returning(Organization)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        return (await self.session.scalars(statement)).one()

    async def move_subtree(
        self,
        node: Organization,
        old_scope: tuple[uuid.UUID | None, uuid.UUID | None],
        new_parent: Organization,
    ) -> Sequence[Organization]:
        """Re-root ``node`` and all its descendants under ``new_parent`` in one statement.

        Every path in the subtree starts with the node's old ancestors; they are replaced
        by the new parent's path (``new || path[old_depth + 1:]``). A community inside the
        subtree moves with it, so only the scope ids inherited from outside the subtree
        (``old_scope``: the old parent's district and community) become the new parent's.
        Every row changes, so every row's version goes up."""
        o = Organization
        new_path = [*new_parent.ancestor_ids, new_parent.id]
        cut = len(node.ancestor_ids) + 1  # 1-based: where the node's own id sits in a path
        old_district, old_community = old_scope
        statement = (
            update(o)
            .where(in_subtree(node.id))
            .values(
                ancestor_ids=func.array_cat(
                    uuid_array(new_path),
                    o.ancestor_ids[cut : func.cardinality(o.ancestor_ids)],
                ),
                parent_id=case((o.id == node.id, new_parent.id), else_=o.parent_id),
                district_id=_inherit(o.district_id, old_district, new_parent.district_id),
                community_id=_inherit(o.community_id, old_community, new_parent.community_id),
                version=o.version + 1,
                updated_at=func.now(),
            )
            .returning(o)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        return (await self.session.scalars(statement)).all()


def _inherit(
    column: Mapped[uuid.UUID | None], old: uuid.UUID | None, new: uuid.UUID | None
) -> ColumnElement[uuid.UUID | None]:
    return case((column.is_not_distinct_from(old), new), else_=column)
