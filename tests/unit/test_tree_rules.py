"""The organization tree's rules: placements, cycles and the scope a node belongs to."""

from __future__ import annotations

import uuid

import pytest

from services.members.organizations.tree import (
    ALLOWED_PARENTS,
    TreeRuleBroken,
    check_no_cycle,
    check_placement,
    scope_ids,
)
from shared.contracts.vocabulary import KIND_LABELS, OrgKind

K = OrgKind

ALLOWED = [
    (K.district, None),
    (K.street, K.district),
    (K.community, K.street),
    (K.committee, K.community),
    (K.general_branch, K.community),
    (K.general_branch, K.committee),
    (K.branch, K.community),
    (K.branch, K.committee),
    (K.branch, K.general_branch),
    (K.branch, K.unit),
    (K.group, K.branch),
    (K.unit, K.district),
    (K.unit, K.street),
    (K.center_household, K.community),
    (K.center_household, K.branch),
]

REFUSED = [
    (K.group, K.community),  # a Party group sits in a branch
    (K.street, K.community),
    (K.community, K.district),  # a community sits in a street
    (K.district, K.street),  # the district is the top
    (K.committee, K.committee),
    (K.branch, K.group),
    (K.center_household, K.group),
    (K.unit, K.community),
    (K.street, None),  # everything but a district needs a parent
    (K.group, None),
]


@pytest.mark.parametrize(("kind", "parent"), ALLOWED)
def test_allowed_placements(kind: OrgKind, parent: OrgKind | None) -> None:
    check_placement(kind, parent)


@pytest.mark.parametrize(("kind", "parent"), REFUSED)
def test_refused_placements_say_why_in_chinese(kind: OrgKind, parent: OrgKind | None) -> None:
    with pytest.raises(TreeRuleBroken) as refused:
        check_placement(kind, parent)
    assert KIND_LABELS[kind] in str(refused.value)


def test_every_kind_has_a_label_and_a_rule() -> None:
    assert set(KIND_LABELS) == set(OrgKind) == set(ALLOWED_PARENTS)


def test_the_allowed_table_is_exactly_what_check_placement_accepts() -> None:
    for kind in OrgKind:
        for parent in [None, *OrgKind]:
            expected = (parent is None and not ALLOWED_PARENTS[kind]) or (
                parent in ALLOWED_PARENTS[kind]
            )
            try:
                check_placement(kind, parent)
                accepted = True
            except TreeRuleBroken:
                accepted = False
            assert accepted == expected, (kind, parent)


def test_no_cycle_refuses_itself_and_descendants() -> None:
    node, child, grandchild, elsewhere = (uuid.uuid4() for _ in range(4))
    root = uuid.uuid4()
    with pytest.raises(TreeRuleBroken):
        check_no_cycle(node, node, [root])
    with pytest.raises(TreeRuleBroken):
        check_no_cycle(node, child, [root, node])
    with pytest.raises(TreeRuleBroken):
        check_no_cycle(node, grandchild, [root, node, child])
    check_no_cycle(node, elsewhere, [root])  # a sibling's subtree is fine


def test_scope_ids_come_from_the_ancestors() -> None:
    district, street, community, committee = (uuid.uuid4() for _ in range(4))
    branch = uuid.uuid4()
    path = [
        (district, K.district),
        (street, K.street),
        (community, K.community),
        (committee, K.committee),
    ]
    assert scope_ids(K.branch, branch, path) == (district, community)
    assert scope_ids(K.street, street, path[:1]) == (district, None)
    assert scope_ids(K.unit, uuid.uuid4(), path[:2]) == (district, None)


def test_a_district_and_a_community_scope_themselves() -> None:
    district, street, community = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert scope_ids(K.district, district, []) == (district, None)
    path = [(district, K.district), (street, K.street)]
    assert scope_ids(K.community, community, path) == (district, community)


def test_no_kind_nests_in_itself_so_the_tree_is_at_most_seven_levels_deep() -> None:
    """Depth is bounded by the placement table, not by a separate limit: every chain of
    allowed placements ends at the district within seven levels (district → street →
    community → committee → general branch → branch → group). A rule letting a kind sit
    under itself (a branch under a branch) would make trees of any depth possible."""

    def depth(kind: OrgKind, below: frozenset[OrgKind]) -> int:
        assert kind not in below, f"{kind} may sit under itself"
        parents = ALLOWED_PARENTS[kind]
        return 1 + max((depth(p, below | {kind}) for p in parents), default=0)

    assert max(depth(kind, frozenset()) for kind in OrgKind) == 7
