"""Roles, the tree nodes they may be bound to, and what each may do.

A grant binds one role to one organization node and its subtree. What a role may do is
an :class:`Action`; which rows it may do it to is the grant's subtree (see
``shared.auth.scope``)."""

from __future__ import annotations

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

# The organization kinds a grant of each role may be bound to.
NODE_KINDS: dict[Role, frozenset[str]] = {
    Role.district_admin: frozenset({"district"}),
    Role.street_admin: frozenset({"street"}),
    Role.community_admin: frozenset({"community"}),
    Role.branch_secretary: frozenset({"committee", "general_branch", "branch"}),
    Role.group_leader: frozenset({"group"}),
    Role.unit_admin: frozenset({"unit"}),
}


class Action(StrEnum):
    read = "read"  # see members, organizations, report-ins, transfers in scope
    write = "write"  # register, change, move, merge members; report-in; transfers
    organize = "organize"  # create, rename, move, deactivate organizations
    sync = "sync"  # a unit's member sync
    manage_keys = "manage_keys"  # create and revoke a unit's API keys
    manage_accounts = "manage_accounts"  # create accounts, grant and revoke roles
    audit = "audit"  # read the audit log
    operate = "operate"  # metrics and dead letters


ADMINS = frozenset({Role.district_admin, Role.street_admin, Role.community_admin})
# Admins above the community: their reads of personal data in full are audited.
ABOVE_COMMUNITY = frozenset({Role.district_admin, Role.street_admin})
STAFF = ADMINS | {Role.branch_secretary, Role.group_leader, Role.unit_admin}

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.read: STAFF,
    Action.write: ADMINS | {Role.unit_admin},
    Action.organize: ADMINS,
    Action.sync: frozenset({Role.unit_admin}),
    Action.manage_keys: ADMINS | {Role.unit_admin},
    Action.manage_accounts: ADMINS | {Role.unit_admin},
    Action.audit: ADMINS | {Role.unit_admin},
    Action.operate: frozenset({Role.operations}),
}

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
