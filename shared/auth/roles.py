"""Roles (the same on every service: access tokens carry them) and permissions.

A grant binds one role to one organization node and its subtree. What a role may do is
a service's :class:`Permission`; which rows it may do it to is the grant's subtree (see
``shared.auth.scope``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    district_admin = "district_admin"  # 区级管理员
    street_admin = "street_admin"  # 街道管理员
    community_admin = "community_admin"  # 社区管理员
    branch_secretary = "branch_secretary"  # 支部书记
    group_leader = "group_leader"  # 党小组长
    unit_admin = "unit_admin"  # 单位党组织管理员
    member = "member"  # 党员本人
    operations = "operations"  # 运维（仅指标与死信）


ROLE_LABELS: dict[Role, str] = {
    Role.district_admin: "区级管理员",
    Role.street_admin: "街道管理员",
    Role.community_admin: "社区管理员",
    Role.branch_secretary: "支部书记",
    Role.group_leader: "党小组长",
    Role.unit_admin: "单位党组织管理员",
    Role.member: "党员本人",
    Role.operations: "运维",
}


@dataclass(frozen=True)
class Permission:
    """Something a service lets callers do: a name (what a unit's API key lists, what
    messages name) and the roles allowed to. Each service declares its permissions in its
    own ``policy`` module; which rows a permission reaches is the grant's subtree
    (``shared.auth.scope``)."""

    name: str
    roles: frozenset[Role]


ADMINS = frozenset({Role.district_admin, Role.street_admin, Role.community_admin})
# Admins above the community: their reads of personal data in full are audited.
ABOVE_COMMUNITY = frozenset({Role.district_admin, Role.street_admin})
STAFF = ADMINS | {Role.branch_secretary, Role.group_leader, Role.unit_admin}

# Every service's /metrics and /ops/* (dead letters).
OPERATE = Permission("operate", frozenset({Role.operations}))

# A role may grant only roles at or below its own level.
RANK: dict[Role, int] = {
    Role.district_admin: 5,
    Role.street_admin: 4,
    Role.community_admin: 3,
    Role.unit_admin: 3,
    Role.branch_secretary: 2,
    Role.group_leader: 1,
    Role.member: 0,
    Role.operations: 5,
}
