"""Which rows of an imported roster are people already in the community's roster."""

from __future__ import annotations

import uuid

from services.members.registry.schemas import MemberCreate
from services.members.roster.known import KnownMembers, RosterEntry

BRANCH, GROUP, COMMUNITY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ID_1 = "110105198001010016"
ID_2 = "11010519491231002X"
ID_3 = "110105196501010013"

KNOWN = KnownMembers(
    [
        RosterEntry("张三", ID_1, "13800000001", BRANCH),
        RosterEntry("李秀英", None, "13800000002", GROUP),
        RosterEntry("王建国", None, None, BRANCH),  # no number on record
        RosterEntry("赵六", ID_2, None, BRANCH),
    ]
)


def row(name: str, home: uuid.UUID = BRANCH, **fields: str) -> MemberCreate:
    return MemberCreate(name=name, home_organization_id=home, community_id=COMMUNITY, **fields)


def test_the_same_id_number_or_name_and_mobile_is_someone_already_here() -> None:
    assert KNOWN.includes(row("张三", GROUP, id_number=ID_1))  # moved on the sheet: still him
    assert KNOWN.includes(row("李秀英", BRANCH, mobile="13800000002"))
    assert not KNOWN.includes(row("李秀英", BRANCH, mobile="13800000003"))


def test_name_and_home_match_only_where_no_id_number_tells_two_people_apart() -> None:
    assert KNOWN.includes(row("王建国"))
    assert KNOWN.includes(row("王建国", id_number=ID_2))  # the number filled in since
    assert KNOWN.includes(row("赵六"))  # the row has no number: the record may be him
    assert not KNOWN.includes(row("赵六", id_number=ID_3))  # both numbered, and they differ
    assert not KNOWN.includes(row("王建国", GROUP))  # another organization
    assert not KNOWN.includes(row("孙八"))
