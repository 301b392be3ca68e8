"""Rules of the organization tree, as pure functions (no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from shared.contracts.vocabulary import KIND_LABELS, OrgKind

# Which kinds may sit directly under which. A unit Party organization hangs under the
# district or street whose area it is in, and may hold its own branches and groups.
ALLOWED_PARENTS: dict[OrgKind, frozenset[OrgKind]] = {
    OrgKind.district: frozenset(),
    OrgKind.street: frozenset({OrgKind.district}),
    OrgKind.community: frozenset({OrgKind.street}),
    OrgKind.committee: frozenset({OrgKind.community}),
    OrgKind.general_branch: frozenset({OrgKind.community, OrgKind.committee}),
    OrgKind.branch: frozenset(
        {OrgKind.community, OrgKind.committee, OrgKind.general_branch, OrgKind.unit}
    ),
    OrgKind.group: frozenset({OrgKind.branch}),
    OrgKind.unit: frozenset({OrgKind.district, OrgKind.street}),
    OrgKind.center_household: frozenset({OrgKind.community, OrgKind.branch}),
}

# Kinds that can hold a member's organization relationship (组织关系).
HOME_KINDS = frozenset(
    {OrgKind.committee, OrgKind.general_branch, OrgKind.branch, OrgKind.group, OrgKind.unit}
)


class TreeRuleBroken(ValueError):
    """A placement the tree does not allow; the message is for the person who tried."""


def check_placement(kind: OrgKind, parent_kind: OrgKind | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    if parent_kind is None:
        if allowed:
            names = "、".join(KIND_LABELS[k] for k in sorted(allowed))
            raise TreeRuleBroken(f"{KIND_LABELS[kind]}必须设在上级组织之下（可选：{names}）")
        return
    if parent_kind not in allowed:
        if not allowed:
            raise TreeRuleBroken(f"{KIND_LABELS[kind]}是最上级组织，不能设在其他组织之下")
        names = "、".join(KIND_LABELS[k] for k in sorted(allowed))
        raise TreeRuleBroken(
            f"{KIND_LABELS[kind]}不能设在{KIND_LABELS[parent_kind]}之下（只能设在：{names}之下）"
        )


def check_no_cycle(
    moving_id: uuid.UUID, new_parent_id: uuid.UUID, new_parent_ancestors: Sequence[uuid.UUID]
) -> None:
    """A node may not move under itself or under any of its descendants."""
    if new_parent_id == moving_id or moving_id in new_parent_ancestors:
        raise TreeRuleBroken("不能把组织移到它自己或它的下级组织之下")


def scope_ids(
    kind: OrgKind, org_id: uuid.UUID, ancestors: Sequence[tuple[uuid.UUID, OrgKind]]
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The (district, community) an organization belongs to, from its ancestors."""
    district = next((i for i, k in ancestors if k == OrgKind.district), None)
    community = next((i for i, k in ancestors if k == OrgKind.community), None)
    if kind == OrgKind.district:
        district = org_id
    if kind == OrgKind.community:
        community = org_id
    return district, community
