"""Registering, changing and deactivating members. Services flush; the caller commits."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.registry import duplicates
from services.members.registry.events import publish
from services.members.registry.home import place
from services.members.registry.repository import MemberRepository
from services.members.registry.schemas import (
    MemberCreate,
    MemberDeactivate,
    MemberFields,
    MemberOut,
    MemberUpdate,
)
from services.members.registry.validation import birth_date_from_id, gender_from_id
from services.members.reportin.service import end_active_report_in
from shared.audit import anchors
from shared.contracts.members import (
    MEMBER_DEACTIVATED,
    MEMBER_MOVED,
    MEMBER_REGISTERED,
    MEMBER_UPDATED,
)
from shared.contracts.vocabulary import LIVE_STATUSES
from shared.errors import AppError, NotFound, invalid, stale_version
from shared.writes import WriteContext


def snapshot(member: Member) -> dict[str, Any]:
    return MemberOut.model_validate(member).model_dump(mode="json")


def member_anchors(member: Member, *earlier: dict[str, Any]) -> list[uuid.UUID]:
    """Where a member write is read in the audit log: the home organization (a unit sees
    its in-service members) and the residential community (双报到), and where the member
    was before (``earlier`` snapshots) when the write moved them."""
    places = [(s.get("home_organization_id"), s.get("community_id")) for s in earlier]
    return anchors(
        member.home_organization_id, member.community_id, *(i for p in places for i in p)
    )


def check_identity_and_dates(values: dict[str, Any], today: date | None = None) -> None:
    """Fill birth date and gender from the ID number and refuse what contradicts it."""
    today = today or date.today()
    id_number = values.get("id_number")
    if id_number:
        from_id, gender = birth_date_from_id(id_number), gender_from_id(id_number)
        if values.get("birth_date") not in (None, from_id):
            raise invalid("birth_date", "出生日期与身份证号不一致")
        if values.get("gender") not in (None, gender):
            raise invalid("gender", "性别与身份证号不一致")
        values["birth_date"], values["gender"] = from_id, gender
    born: date | None = values.get("birth_date")
    joined: date | None = values.get("joined_at")
    full: date | None = values.get("full_member_at")
    for field, day in (("birth_date", born), ("joined_at", joined), ("full_member_at", full)):
        if day is not None and day > today:
            raise invalid(field, "日期不能晚于今天")
    if joined and full and full < joined:
        raise invalid("full_member_at", "转正日期不能早于入党日期")
    if born and joined and _age(born, joined) < 18:
        raise invalid("joined_at", "入党时应年满18周岁")


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


async def _refuse_duplicate(
    session: AsyncSession,
    values: dict[str, Any],
    ctx: WriteContext,
    exclude: uuid.UUID | None = None,
) -> None:
    found = await MemberRepository(session).find_duplicate(
        district_id=values.get("district_id"),
        id_number=values.get("id_number"),
        name=values["name"],
        mobile=values.get("mobile"),
        exclude=exclude,
    )
    if found is not None:
        raise await duplicates.refusal(session, ctx.principal, *found)


def _fields(data: MemberFields) -> dict[str, Any]:
    return {k: v for k, v in data.model_dump(exclude_unset=True).items() if k != "version"}


async def registration_values(session: AsyncSession, data: MemberCreate) -> dict[str, Any]:
    """The columns a registration writes: the caller's fields, where the member is placed,
    and birth date and gender from the ID number; 422 when they don't hold together."""
    placement = await place(session, data.home_organization_id, data.community_id)
    values = _fields(data)
    values.update(
        district_id=placement.district_id,
        community_id=placement.community_id,
        branch_id=placement.branch_id,
    )
    check_identity_and_dates(values)
    return values


async def register_member(session: AsyncSession, data: MemberCreate, ctx: WriteContext) -> Member:
    values = await registration_values(session, data)
    await _refuse_duplicate(session, values, ctx)
    member = await MemberRepository(session).add(
        Member(id=uuid.uuid4(), status="active", version=1, **values)
    )
    await ctx.record(
        session,
        entity_type="member",
        entity_id=member.id,
        action="registered",
        before=None,
        after=snapshot(member),
        organization_ids=member_anchors(member),
        district_id=member.district_id,
        community_id=member.community_id,
    )
    await publish(
        session,
        ctx,
        MEMBER_REGISTERED,
        member,
    )
    return member


async def _locked(session: AsyncSession, member_id: uuid.UUID, version: int) -> Member:
    member = await MemberRepository(session).get(member_id, for_update=True)
    if member is None:
        raise NotFound("未找到该党员")
    if member.version != version:
        raise stale_version()
    return member


async def update_member(
    session: AsyncSession, member_id: uuid.UUID, data: MemberUpdate, ctx: WriteContext
) -> Member:
    member = await _locked(session, member_id, data.version)
    if member.status not in LIVE_STATUSES:
        raise AppError(409, "member_inactive", "该党员记录已停用，不能修改")
    before = snapshot(member)
    values = _fields(data)
    moved = (
        "home_organization_id" in values
        and values["home_organization_id"] != member.home_organization_id
    )
    if moved:
        placement = await place(
            session,
            values["home_organization_id"],
            member.community_id,
            community_must_match=False,
        )
        if placement.community_id != member.community_id:
            raise invalid("home_organization_id", "跨社区调整组织关系，请办理组织关系转接")
        values["branch_id"] = placement.branch_id
    merged = {**{k: getattr(member, k) for k in before if hasattr(member, k)}, **values}
    check_identity_and_dates(merged)
    for key in ("birth_date", "gender"):
        if merged.get(key) != getattr(member, key):
            values[key] = merged[key]
    if {"id_number", "mobile", "name"} & values.keys():
        await _refuse_duplicate(session, merged, ctx, exclude=member.id)
    changed = sorted(k for k, v in values.items() if getattr(member, k) != v)
    if not changed:
        return member
    for key in changed:
        setattr(member, key, values[key])
    member.version += 1
    await session.flush()
    await session.refresh(member)
    await ctx.record(
        session,
        entity_type="member",
        entity_id=member.id,
        action="moved" if moved else "updated",
        before=before,
        after=snapshot(member),
        # A move within the community: the branch it left reads the entry too.
        organization_ids=member_anchors(member, before),
        district_id=member.district_id,
        community_id=member.community_id,
    )
    await publish(
        session,
        ctx,
        MEMBER_MOVED if moved else MEMBER_UPDATED,
        member,
        changed=changed,
    )
    return member


async def deactivate_member(
    session: AsyncSession, member_id: uuid.UUID, data: MemberDeactivate, ctx: WriteContext
) -> Member:
    member = await _locked(session, member_id, data.version)
    if member.status not in LIVE_STATUSES:
        raise AppError(409, "member_inactive", "该党员记录已停用")
    before = snapshot(member)
    member.status = data.status
    member.version += 1
    await session.flush()
    await session.refresh(member)
    # A member no longer on the rolls no longer serves in the community either.
    await end_active_report_in(session, member.id, data.reason, ctx)
    after = snapshot(member) | {"reason": data.reason}
    await ctx.record(
        session,
        entity_type="member",
        entity_id=member.id,
        action="deactivated",
        before=before,
        after=after,
        organization_ids=member_anchors(member),
        district_id=member.district_id,
        community_id=member.community_id,
    )
    await publish(
        session,
        ctx,
        MEMBER_DEACTIVATED,
        member,
        changed=["status"],
    )
    return member


async def get_member(session: AsyncSession, member_id: uuid.UUID) -> Member:
    member = await MemberRepository(session).get(member_id)
    if member is None:
        raise NotFound("未找到该党员")
    return member
