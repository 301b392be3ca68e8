"""Writing and reading the organization tree (党组织). Writes flush only; the caller owns
the transaction. Every write leaves an audit entry and an outbox event carrying the new
state, both in that transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.events import Write, record, snapshot
from services.members.organizations.models import Organization
from services.members.organizations.repository import ACTIVE, INACTIVE, OrganizationRepository
from services.members.organizations.schemas import (
    OrganizationCreate,
    OrganizationDeactivate,
    OrganizationMove,
    OrganizationUpdate,
)
from services.members.organizations.tree import (
    TreeRuleBroken,
    check_no_cycle,
    check_placement,
    scope_ids,
)
from shared.contracts.organizations import (
    ORGANIZATION_CREATED,
    ORGANIZATION_DEACTIVATED,
    ORGANIZATION_UPDATED,
)
from shared.contracts.vocabulary import KIND_LABELS, OrgKind
from shared.errors import AppError, ErrorDetail, NotFound
from shared.log import get_logger
from shared.writes import WriteContext

log = get_logger(__name__)


async def get_organization(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    org = await OrganizationRepository(session).get(org_id)
    if org is None:
        raise NotFound("未找到该组织")
    return org


async def list_subtree(
    session: AsyncSession,
    root_id: uuid.UUID | None,
    *,
    kind: OrgKind | None = None,
    include_inactive: bool = False,
    limit: int | None = None,
    where: ColumnElement[bool] | None = None,
    after: tuple[int, str, uuid.UUID] | None = None,
) -> Sequence[Organization]:
    """``where`` narrows the listing (the API passes the caller's reach); ``after``
    pages it (``OrganizationRepository.subtree``)."""
    if root_id is not None:
        await get_organization(session, root_id)
    return await OrganizationRepository(session).subtree(
        root_id, kind=kind, include_inactive=include_inactive, limit=limit, where=where, after=after
    )


async def list_children(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    include_inactive: bool = False,
    limit: int | None = None,
    after: tuple[str, uuid.UUID] | None = None,
) -> Sequence[Organization]:
    await get_organization(session, org_id)
    return await OrganizationRepository(session).children(
        org_id, include_inactive=include_inactive, limit=limit, after=after
    )


async def find_by_id(session: AsyncSession, org_id: uuid.UUID | None) -> Organization | None:
    return await OrganizationRepository(session).get(org_id) if org_id else None


async def find_active(
    session: AsyncSession,
    parent_id: uuid.UUID | None,
    kind: OrgKind,
    name: str,
    *,
    lock: bool = False,
) -> Organization | None:
    """The active node with this name, kind and parent. ``lock`` keeps anyone else from
    creating it until this transaction ends (find-or-create without duplicates)."""
    repo = OrganizationRepository(session)
    if lock:
        await repo.lock_name(parent_id, kind, name)
    return await repo.find_active(parent_id, kind, name)


async def create_organization(
    session: AsyncSession, data: OrganizationCreate, ctx: WriteContext
) -> Organization:
    repo = OrganizationRepository(session)
    parent = await _active_parent(repo, data.parent_id) if data.parent_id else None
    _check_placement(data.kind, parent)
    co_building = await _co_building(repo, data.kind, data.co_building_community_ids)
    await _refuse_duplicate(repo, data.parent_id, data.kind, data.name)
    ancestor_ids = [*parent.ancestor_ids, parent.id] if parent else []
    kinds = await repo.kinds_of(ancestor_ids)
    org_id = uuid.uuid4()
    district_id, community_id = scope_ids(data.kind, org_id, [(a, kinds[a]) for a in ancestor_ids])
    org = await repo.add(
        Organization(
            id=org_id,
            kind=data.kind.value,
            name=data.name,
            parent_id=data.parent_id,
            ancestor_ids=ancestor_ids,
            district_id=district_id,
            community_id=community_id,
            status=ACTIVE,
            co_building_community_ids=co_building,
            settings=data.settings,
            version=1,
        )
    )
    await record(session, ctx, [Write("created", ORGANIZATION_CREATED, None, org)])
    log.info("organization.created", organization_id=str(org.id), kind=org.kind)
    return org


async def update_organization(
    session: AsyncSession, org_id: uuid.UUID, data: OrganizationUpdate, ctx: WriteContext
) -> Organization:
    repo = OrganizationRepository(session)
    org = await _writable(repo, org_id, data.version)
    values: dict[str, Any] = {}
    if data.name is not None and data.name != org.name:
        await _refuse_duplicate(repo, org.parent_id, OrgKind(org.kind), data.name)
        values["name"] = data.name
    if data.co_building_community_ids is not None:
        ids = await _co_building(repo, OrgKind(org.kind), data.co_building_community_ids)
        if ids != list(org.co_building_community_ids):
            values["co_building_community_ids"] = ids
    if data.settings is not None and data.settings != org.settings:
        values["settings"] = data.settings
    if not values:
        return org  # nothing to change: no new version, no event
    before = snapshot(org)
    org = await repo.update(org.id, values)
    await record(session, ctx, [Write("updated", ORGANIZATION_UPDATED, before, org)])
    return org


async def move_organization(
    session: AsyncSession, org_id: uuid.UUID, data: OrganizationMove, ctx: WriteContext
) -> Organization:
    """Put a node under another parent; its whole subtree follows in one statement."""
    repo = OrganizationRepository(session)
    await repo.lock_moves()
    org = await _writable(repo, org_id, data.version)
    if org.parent_id == data.parent_id:
        return org
    new_parent = await _active_parent(repo, data.parent_id)
    try:
        check_no_cycle(org.id, new_parent.id, new_parent.ancestor_ids)
    except TreeRuleBroken as exc:
        raise AppError(422, "tree_rule", str(exc), [_detail("parent_id", str(exc))]) from None
    _check_placement(OrgKind(org.kind), new_parent)
    await _refuse_duplicate(repo, new_parent.id, OrgKind(org.kind), org.name)
    old_parent = await repo.get(org.parent_id) if org.parent_id else None
    old_scope = (old_parent.district_id, old_parent.community_id) if old_parent else (None, None)
    subtree = await repo.subtree(org.id, include_inactive=True, lock=True)
    before = {node.id: snapshot(node) for node in subtree}
    moved = await repo.move_subtree(org, old_scope, new_parent)
    top_down = sorted(moved, key=lambda node: len(node.ancestor_ids))  # the moved node first
    writes = [
        Write(
            "moved" if node.id == org.id else "ancestor_moved",
            ORGANIZATION_UPDATED,
            before[node.id],
            node,
        )
        for node in top_down
    ]
    await record(session, ctx, writes)
    log.info("organization.moved", organization_id=str(org_id), subtree_size=len(moved))
    return top_down[0]


async def deactivate_organization(
    session: AsyncSession, org_id: uuid.UUID, data: OrganizationDeactivate, ctx: WriteContext
) -> Organization:
    """Never deleted: records keep pointing at it. A node with active children stays."""
    repo = OrganizationRepository(session)
    org = await _writable(repo, org_id, data.version)
    active_children = await repo.active_children_count(org.id)
    if active_children:
        raise AppError(
            409,
            "has_active_children",
            f"该组织下还有 {active_children} 个在用的下级组织，请先停用或移走它们",
        )
    before = snapshot(org)
    org = await repo.update(org.id, {"status": INACTIVE})
    await record(session, ctx, [Write("deactivated", ORGANIZATION_DEACTIVATED, before, org)])
    log.info("organization.deactivated", organization_id=str(org.id))
    return org


def _detail(field: str, message: str) -> ErrorDetail:
    return ErrorDetail(field=field, message=message)


async def _active_parent(repo: OrganizationRepository, parent_id: uuid.UUID) -> Organization:
    # Shared lock: the parent cannot be deactivated or moved while a child goes under it.
    parent = await repo.get(parent_id, share=True)
    if parent is None or parent.status != ACTIVE:
        raise NotFound("上级组织不存在")
    return parent


def _check_placement(kind: OrgKind, parent: Organization | None) -> None:
    try:
        check_placement(kind, OrgKind(parent.kind) if parent else None)
    except TreeRuleBroken as exc:
        raise AppError(422, "tree_rule", str(exc), [_detail("parent_id", str(exc))]) from None


async def _writable(repo: OrganizationRepository, org_id: uuid.UUID, version: int) -> Organization:
    org = await repo.get(org_id, lock=True)
    if org is None:
        raise NotFound("未找到该组织")
    if org.version != version:
        raise AppError(
            409,
            "stale_version",
            "该记录已被他人修改，请刷新后重试",
            [_detail("version", f"当前版本为 {org.version}")],
        )
    if org.status != ACTIVE:
        raise AppError(409, "organization_inactive", "该组织已停用，不能再修改")
    return org


async def _refuse_duplicate(
    repo: OrganizationRepository, parent_id: uuid.UUID | None, kind: OrgKind, name: str
) -> None:
    await repo.lock_name(parent_id, kind, name)
    existing = await repo.find_active(parent_id, kind, name)
    if existing is not None:
        raise AppError(
            409,
            "duplicate_organization",
            f"同一上级组织下已有同名的{KIND_LABELS[kind]}“{name}”",
            [_detail("existing_id", str(existing.id))],
        )


async def _co_building(
    repo: OrganizationRepository, kind: OrgKind, ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Co-building (共驻共建) links a unit Party organization to active communities."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return unique
    if kind != OrgKind.unit:
        raise AppError(422, "invalid_co_building", "只有单位党组织可以设置共驻共建社区")
    found = {o.id: o for o in await repo.many(unique)}
    missing = [
        i
        for i in unique
        if i not in found or found[i].kind != OrgKind.community or found[i].status != ACTIVE
    ]
    if missing:
        raise AppError(
            422,
            "invalid_co_building",
            "共驻共建社区不存在或已停用",
            [_detail("co_building_community_ids", str(i)) for i in missing],
        )
    return unique
