"""Joining two records that turn out to be one person (一人一档): the surviving record
keeps its values, takes what only the duplicate knows, and the duplicate is kept as a
"merged" record pointing at the survivor — never deleted, so its history stays."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.registry.events import member_state
from services.members.registry.schemas import MemberMerge
from services.members.registry.service import member_anchors, snapshot
from services.members.reportin.service import end_active_report_in
from services.members.sync.models import UnitMemberLink
from services.members.transfers.models import Transfer
from shared.contracts.members import MEMBER_MERGED, MemberMerged
from shared.contracts.vocabulary import LIVE_STATUSES
from shared.errors import AppError, NotFound, stale_version
from shared.writes import WriteContext

# Filled on the survivor from the duplicate when the survivor has no value.
FILLABLE = (
    "gender",
    "birth_date",
    "id_number",
    "mobile",
    "address",
    "work_unit",
    "post",
    "education",
    "joined_at",
    "full_member_at",
)
UNITED = ("specialties", "interests", "categories")


async def _lock_pair(
    session: AsyncSession, survivor_id: uuid.UUID, duplicate_id: uuid.UUID
) -> tuple[Member, Member]:
    # Both rows locked in id order, so two merges of the same pair can't deadlock.
    query = (
        select(Member)
        .where(Member.id.in_([survivor_id, duplicate_id]))
        .order_by(Member.id)
        .with_for_update()
    )
    found = {m.id: m for m in (await session.scalars(query)).all()}
    if survivor_id not in found:
        raise NotFound("未找到该党员")
    if duplicate_id not in found:
        raise AppError(404, "not_found", "未找到要合并的重复记录")
    return found[survivor_id], found[duplicate_id]


def _check(survivor: Member, duplicate: Member, data: MemberMerge) -> None:
    if survivor.id == duplicate.id:
        raise AppError(422, "merge_same_record", "不能把记录与自身合并")
    if survivor.version != data.version or duplicate.version != data.duplicate_version:
        raise stale_version()
    for member, label in ((survivor, "保留的记录"), (duplicate, "重复记录")):
        if member.status not in LIVE_STATUSES:
            raise AppError(409, "member_inactive", f"{label}已停用或已合并，不能合并")
    if survivor.district_id != duplicate.district_id:
        raise AppError(409, "merge_across_districts", "两条记录不在同一个区，不能合并")
    if survivor.id_number and duplicate.id_number and survivor.id_number != duplicate.id_number:
        raise AppError(
            409, "merge_different_people", "两条记录的身份证号不同，应为两个人，不能合并"
        )


def _absorbed_values(survivor: Member, duplicate: Member) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in FILLABLE:
        if getattr(survivor, key) is None and getattr(duplicate, key) is not None:
            values[key] = getattr(duplicate, key)
    for key in UNITED:
        own = list(getattr(survivor, key) or [])
        union = own + [v for v in getattr(duplicate, key) or [] if v not in own]
        if union != own:
            values[key] = union
    return values


async def _repoint_unit_links(session: AsyncSession, survivor: Member, duplicate: Member) -> None:
    """A unit's external id for the duplicate now stands for the survivor, unless the unit
    already links the survivor (a unit holds one external id per person)."""
    linked = select(UnitMemberLink.unit_id).where(UnitMemberLink.member_id == survivor.id)
    await session.execute(
        update(UnitMemberLink)
        .where(UnitMemberLink.member_id == duplicate.id, UnitMemberLink.unit_id.not_in(linked))
        .values(member_id=survivor.id)
    )


async def merge_members(
    session: AsyncSession, survivor_id: uuid.UUID, data: MemberMerge, ctx: WriteContext
) -> Member:
    survivor, duplicate = await _lock_pair(session, survivor_id, data.duplicate_id)
    _check(survivor, duplicate, data)
    pending = await session.scalar(
        select(Transfer.id).where(
            Transfer.member_id.in_([survivor.id, duplicate.id]), Transfer.status == "pending"
        )
    )
    if pending is not None:
        raise AppError(
            409, "transfer_pending", "其中一条记录有未办结的组织关系转接，请先办结或撤回后再合并"
        )
    before, duplicate_before = snapshot(survivor), snapshot(duplicate)
    values = _absorbed_values(survivor, duplicate)

    # The duplicate leaves the one-person-one-record index first, so the survivor may
    # take over its ID number in the same transaction.
    duplicate.status, duplicate.merged_into_id = "merged", survivor.id
    duplicate.version += 1
    await session.flush()
    for key, value in values.items():
        setattr(survivor, key, value)
    survivor.version += 1
    await session.flush()
    await _repoint_unit_links(session, survivor, duplicate)
    # The absorbed record stops serving; the survivor's own report-in (if any) stands.
    await end_active_report_in(session, duplicate.id, "重复记录已合并", ctx)
    await session.refresh(survivor)
    await session.refresh(duplicate)

    for member, action, old, extra in (
        (survivor, "merged", before, {"merged_from_id": str(duplicate.id)}),
        (duplicate, "merged_into", duplicate_before, {}),
    ):
        await ctx.record(
            session,
            entity_type="member",
            entity_id=member.id,
            action=action,
            before=old,
            after=snapshot(member) | extra | {"reason": data.reason},
            organization_ids=member_anchors(member),
            district_id=member.district_id,
            community_id=member.community_id,
        )
    payload = MemberMerged(
        member=member_state(survivor),
        merged=member_state(duplicate),
        changed=sorted(values),
    )
    await ctx.publish(
        session,
        MEMBER_MERGED,
        payload,
        key=survivor.id,
        district_id=survivor.district_id,
        community_id=survivor.community_id,
    )
    return survivor
