"""The words every service uses for the same things (DOMAIN.md's glossary): kinds of
organization, member statuses and categories. The members service owns the facts; the
other services read them from its events, so the names travel with the contracts."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    district = "district"  # 区
    street = "street"  # 街道 / 镇
    community = "community"  # 社区
    committee = "committee"  # 党委
    general_branch = "general_branch"  # 党总支
    branch = "branch"  # 党支部
    group = "group"  # 党小组
    unit = "unit"  # 单位党组织 (a work unit's Party organization)
    center_household = "center_household"  # 党员中心户


KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.district: "区",
    OrgKind.street: "街道/镇",
    OrgKind.community: "社区",
    OrgKind.committee: "党委",
    OrgKind.general_branch: "党总支",
    OrgKind.branch: "党支部",
    OrgKind.group: "党小组",
    OrgKind.unit: "单位党组织",
    OrgKind.center_household: "党员中心户",
}


class MemberStatus(StrEnum):
    active = "active"  # 正常
    mobile = "mobile"  # 流动在外
    transferred_out = "transferred_out"  # 已转出
    deceased = "deceased"  # 已故
    left = "left"  # 出党/停止党籍
    merged = "merged"  # 重复记录已合并


STATUS_LABELS: dict[MemberStatus, str] = {
    MemberStatus.active: "正常",
    MemberStatus.mobile: "流动在外",
    MemberStatus.transferred_out: "已转出",
    MemberStatus.deceased: "已故",
    MemberStatus.left: "出党/停止党籍",
    MemberStatus.merged: "重复记录已合并",
}

# On the rolls: counted in figures, expected at meetings, owing dues, able to move.
LIVE_STATUSES: frozenset[str] = frozenset({MemberStatus.active, MemberStatus.mobile})


class Category(StrEnum):
    """党员类别 (several may apply)"""

    community = "community"  # 社区党员
    retired = "retired"  # 离退休党员
    in_service = "in_service"  # 在职党员
    mobile = "mobile"  # 流动党员
    laid_off = "laid_off"  # 下岗职工党员
    agreement_terminated = "agreement_terminated"  # 协解党员
    family = "family"  # 家属党员
    veteran = "veteran"  # 复转军人党员
    non_public_economy = "non_public_economy"  # 非公经济党员


CATEGORY_LABELS: dict[Category, str] = {
    Category.community: "社区党员",
    Category.retired: "离退休党员",
    Category.in_service: "在职党员",
    Category.mobile: "流动党员",
    Category.laid_off: "下岗职工党员",
    Category.agreement_terminated: "协解党员",
    Category.family: "家属党员",
    Category.veteran: "复转军人党员",
    Category.non_public_economy: "非公经济党员",
}
