"""Onboarding one community (社区入驻) from a description: check it all, then write it
all in the caller's transaction. Nodes are matched by (parent, kind, name) among active
organizations, so a description onboarded twice changes nothing the second time.

The shape is documented in :mod:`services.members.onboarding`.

Through the API (``principal`` given) a community is onboarded under an existing
district: organize rights on the street, or on the district when the description
creates the street or places a unit directly under the district. New districts come
only from the operators' command line (no principal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import organization_for
from services.members.onboarding.schemas import (
    CommunityOnboarding,
    NodeDescription,
    OnboardedOrganization,
    OnboardingReport,
    Outcome,
    PlaceRef,
    invalid_description,
)
from services.members.organizations import service as organizations
from services.members.organizations.models import Organization
from services.members.organizations.schemas import OrganizationCreate, OrganizationUpdate
from services.members.organizations.tree import TreeRuleBroken, check_placement
from services.members.policy import Action
from shared.auth.deps import forbidden
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.contracts.vocabulary import KIND_LABELS, OrgKind
from shared.errors import AppError, ErrorDetail, NotFound
from shared.log import get_logger
from shared.writes import WriteContext

log = get_logger(__name__)

NEW_DISTRICT = "新建区请由平台运维使用命令行 onboard"
# A community is created under a street: only their admins (or the district's) onboard.
ONBOARDERS = frozenset({Role.street_admin, Role.district_admin})


def check_description(description: CommunityOnboarding) -> list[ErrorDetail]:
    """What can be checked without the database: placements and repeated names."""
    problems: list[ErrorDetail] = []

    def walk(parent: OrgKind, nodes: Sequence[NodeDescription], path: str) -> None:
        seen: dict[tuple[OrgKind, str], str] = {}
        for i, node in enumerate(nodes):
            here = f"{path}[{i}]"
            try:
                check_placement(node.kind, parent)
            except TreeRuleBroken as exc:
                problems.append(ErrorDetail(field=here, message=str(exc)))
            first = seen.setdefault((node.kind, node.name), here)
            if first != here:
                problems.append(ErrorDetail(field=here, message=f"与 {first} 重复（同类型、同名）"))
            walk(node.kind, node.children, f"{here}.children")

    walk(OrgKind.community, description.community.organizations, "community.organizations")
    units: dict[tuple[str, str], str] = {}
    for i, unit in enumerate(description.units):
        first = units.setdefault((unit.parent, unit.name), f"units[{i}]")
        if first != f"units[{i}]":
            problems.append(ErrorDetail(field=f"units[{i}]", message=f"与 {first} 重复"))
        walk(OrgKind.unit, unit.children, f"units[{i}].children")
    return problems


async def onboard_community(
    session: AsyncSession,
    description: CommunityOnboarding,
    ctx: WriteContext,
    principal: Principal | None = None,
) -> OnboardingReport:
    """Check everything first; write only if nothing is wrong. Flushes only.
    ``principal``: the API's caller, whose rights are checked (None: the command line)."""
    if principal is not None and not any(g.role in ONBOARDERS for g in principal.grants):
        raise forbidden("社区入驻请由街道或区级管理员办理")
    problems = check_description(description)
    problems += await _check_places(session, description, principal)
    if problems:
        raise invalid_description(problems)
    if principal is not None:
        await _authorize(session, description, principal)
    run = _Run(session, ctx)
    district = await run.place(description.district, OrgKind.district, None, "district")
    street = await run.place(description.street, OrgKind.street, district, "street")
    community = await run.ensure(
        street,
        OrgKind.community,
        description.community.name,
        "community",
        settings=description.community.settings,
    )
    for i, node in enumerate(description.community.organizations):
        await run.subtree(community, node, f"community.organizations[{i}]")
    for i, unit_description in enumerate(description.units):
        parent = street if unit_description.parent == "street" else district
        unit = await run.unit(
            parent, unit_description.name, community, unit_description.co_building, f"units[{i}]"
        )
        for j, node in enumerate(unit_description.children):
            await run.subtree(unit, node, f"units[{i}].children[{j}]")
    report = run.report(district, street, community)
    log.info(
        "onboarding.completed",
        community_id=str(community.id),
        created=report.created,
        already_present=report.already_present,
        linked=report.linked,
    )
    return report


def render_report(report: OnboardingReport) -> str:
    """The report as a person reads it (the command line prints this)."""
    labels = {"created": "新建", "present": "已存在", "linked": "加入共建"}
    if report.changed:
        head = (
            f"社区入驻完成：新建 {report.created} 个组织，已存在 {report.already_present} 个，"
            f"新加入共驻共建 {report.linked} 个。"
        )
    else:
        head = f"描述中的 {report.already_present} 个组织都已存在，本次没有任何改动。"
    lines = [head, f"社区编号：{report.community_id}"]
    for o in report.organizations:
        lines.append(f"  {labels[o.outcome]}  {KIND_LABELS[o.kind]}  {o.name}  {o.id}  ({o.path})")
    return "\n".join(lines)


class _Run:
    """Finds or creates each node in order and remembers what it did."""

    def __init__(self, session: AsyncSession, ctx: WriteContext) -> None:
        self.session = session
        self.ctx = ctx
        self.done: list[OnboardedOrganization] = []

    def _note(self, path: str, org: Organization, outcome: Outcome) -> None:
        self.done.append(
            OnboardedOrganization(
                path=path, id=org.id, kind=OrgKind(org.kind), name=org.name, outcome=outcome
            )
        )

    async def place(
        self, ref: PlaceRef, kind: OrgKind, parent: Organization | None, path: str
    ) -> Organization:
        if ref.id is not None:
            org = await organizations.get_organization(self.session, ref.id)  # checked before
            self._note(path, org, "present")
            return org
        assert ref.name is not None
        return await self.ensure(parent, kind, ref.name, path)

    async def ensure(
        self,
        parent: Organization | None,
        kind: OrgKind,
        name: str,
        path: str,
        *,
        settings: dict[str, Any] | None = None,
        co_building: list[Organization] | None = None,
    ) -> Organization:
        parent_id = parent.id if parent else None
        existing = await organizations.find_active(self.session, parent_id, kind, name, lock=True)
        if existing is not None:
            self._note(path, existing, "present")
            return existing
        data = OrganizationCreate(
            kind=kind,
            name=name,
            parent_id=parent_id,
            settings=settings or {},
            co_building_community_ids=[c.id for c in co_building or []],
        )
        try:
            org = await organizations.create_organization(self.session, data, self.ctx)
        except AppError as exc:  # checked before; a concurrent write can still get here
            raise AppError(exc.status, exc.code, exc.message, [_at(path, exc.message)]) from None
        self._note(path, org, "created")
        return org

    async def subtree(self, parent: Organization, node: NodeDescription, path: str) -> None:
        org = await self.ensure(parent, node.kind, node.name, path)
        for i, child in enumerate(node.children):
            await self.subtree(org, child, f"{path}.children[{i}]")

    async def unit(
        self,
        parent: Organization,
        name: str,
        community: Organization,
        co_building: bool,
        path: str,
    ) -> Organization:
        unit = await self.ensure(
            parent, OrgKind.unit, name, path, co_building=[community] if co_building else None
        )
        if not co_building or community.id in unit.co_building_community_ids:
            return unit
        change = OrganizationUpdate(
            version=unit.version,
            co_building_community_ids=[*unit.co_building_community_ids, community.id],
        )
        unit = await organizations.update_organization(self.session, unit.id, change, self.ctx)
        self.done[-1] = self.done[-1].model_copy(update={"outcome": "linked"})
        return unit

    def report(
        self, district: Organization, street: Organization, community: Organization
    ) -> OnboardingReport:
        counts = {
            o: sum(1 for d in self.done if d.outcome == o) for o in ("created", "present", "linked")
        }
        return OnboardingReport(
            district_id=district.id,
            street_id=street.id,
            community_id=community.id,
            created=counts["created"],
            already_present=counts["present"],
            linked=counts["linked"],
            changed=counts["created"] + counts["linked"] > 0,
            organizations=self.done,
        )


async def _in_line(session: AsyncSession, principal: Principal, org: Organization) -> bool:
    """Whether the caller knows this place: it lies in the subtree of one of their
    grants, or above one (a street admin knows their district)."""
    nodes = principal.nodes_for(Action.read)
    if org.id in nodes or set(nodes) & set(org.ancestor_ids or []):
        return True
    if not nodes:
        return False
    above = await session.scalars(
        select(Organization.ancestor_ids).where(Organization.id.in_(nodes))
    )
    return any(org.id in (ancestors or []) for ancestors in above)


async def _authorize(
    session: AsyncSession, description: CommunityOnboarding, principal: Principal
) -> None:
    """Refuse (403) what the caller may not do: create a district, or organize under a
    street or district outside their grants. Places given by id were checked (and an
    unknown one reported as not found) in :func:`_check_places`."""
    district_ref, street_ref = description.district, description.street
    if district_ref.id is not None:
        district = await organizations.find_by_id(session, district_ref.id)
    else:
        assert district_ref.name is not None
        district = await organizations.find_active(
            session, None, OrgKind.district, district_ref.name
        )
    if district is None or not await _in_line(session, principal, district):
        raise forbidden(NEW_DISTRICT)
    if street_ref.id is not None:
        street = await organizations.find_by_id(session, street_ref.id)
    else:
        assert street_ref.name is not None
        street = await organizations.find_active(
            session, district.id, OrgKind.street, street_ref.name
        )
    if street is None:
        await _may_organize(session, principal, district, "无权在该区新建街道")
    else:
        await _may_organize(session, principal, street, "无权在该街道入驻社区")
    if any(unit.parent == "district" for unit in description.units):
        await _may_organize(session, principal, district, "无权在区一级建立单位党组织")


async def _may_organize(
    session: AsyncSession, principal: Principal, org: Organization, message: str
) -> None:
    try:
        await organization_for(session, principal, Action.organize, org.id)
    except NotFound:
        # Named in the description (not an id to probe): say what is refused.
        raise forbidden(message) from None


async def _check_places(
    session: AsyncSession, description: CommunityOnboarding, principal: Principal | None = None
) -> list[ErrorDetail]:
    """A district or street given by id must exist, be active and fit together; for an
    API caller it must also be in line with their grants (else it is "not found")."""
    problems: list[ErrorDetail] = []
    district_ref, street_ref = description.district, description.street
    district = await _existing(
        session, district_ref, OrgKind.district, "district", problems, principal
    )
    street = await _existing(session, street_ref, OrgKind.street, "street", problems, principal)
    if street is None or street_ref.id is None:
        return problems
    if district is not None and street.parent_id != district.id:
        problems.append(_at("street.id", "该街道不在所填的区之下"))
    if district_ref.name is not None:
        parent = await organizations.find_by_id(session, street.parent_id)
        if parent is None or parent.name != district_ref.name or parent.parent_id is not None:
            problems.append(_at("street.id", "该街道不在所填的区之下"))
    return problems


async def _existing(
    session: AsyncSession,
    ref: PlaceRef,
    kind: OrgKind,
    path: str,
    problems: list[ErrorDetail],
    principal: Principal | None = None,
) -> Organization | None:
    if ref.id is None:
        return None
    org = await organizations.find_by_id(session, ref.id)
    if (
        org is None
        or org.status != "active"
        or org.kind != kind
        or (principal is not None and not await _in_line(session, principal, org))
    ):
        problems.append(_at(f"{path}.id", f"未找到该{KIND_LABELS[kind]}"))
        return None
    return org


def _at(field: str, message: str) -> ErrorDetail:
    return ErrorDetail(field=field, message=message)
