"""The sync's diff as pure functions: what changes, what stays, who leaves."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.members.sync.plan import Row, new_member, plan_sync

UNIT, DISTRICT, COMMUNITY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def values(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "community_id": COMMUNITY,
        "district_id": DISTRICT,
        "home_organization_id": UNIT,
        "branch_id": None,
        **extra,
    }


def stored(name: str, **extra: Any) -> dict[str, Any]:
    return new_member(values(name, **extra), UNIT, NOW)


def plan(rows: list[Row], linked: dict[str, Any], mode: str = "full", **kw: Any) -> Any:
    listed = {r.external_id for r in rows}
    return plan_sync(
        unit_id=UNIT,
        mode=mode,  # type: ignore[arg-type]
        rows=rows,
        listed=listed,
        linked=linked,
        by_id_number=kw.pop("by_id_number", {}),
        now=NOW,
        **kw,
    )


def test_new_rows_are_created_in_service_and_linked() -> None:
    result = plan([Row(0, "A", values("甲"))], {})
    ((_row, member),) = result.created
    assert member["categories"] == ["in_service"] and member["version"] == 1
    assert result.new_links == [("A", member["id"])]


def test_same_values_change_nothing_and_a_changed_field_is_named() -> None:
    linked = {"A": stored("甲", post="科员"), "B": stored("乙")}
    rows = [Row(0, "A", values("甲", post="科员")), Row(1, "B", values("乙", post="处长"))]
    result = plan(rows, linked)
    assert result.unchanged == ["A"]
    (change,) = result.changes
    assert change.kind == "updated" and change.changed == ["post"]
    assert change.after["version"] == 2 and change.before["post"] is None


def test_full_mode_deactivates_the_missing_delta_mode_does_not() -> None:
    linked = {"A": stored("甲"), "B": stored("乙")}
    full = plan([Row(0, "A", values("甲"))], linked)
    assert [(c.kind, c.external_id, c.after["status"]) for c in full.changes] == [
        ("deactivated", "B", "transferred_out")
    ]
    assert plan([Row(0, "A", values("甲"))], linked, mode="delta").changes == []
    kept = plan([Row(0, "A", values("甲"))], linked, keep_missing=True)
    assert kept.changes == []


def test_a_row_with_an_error_is_not_a_member_who_left() -> None:
    linked = {"A": stored("甲"), "B": stored("乙")}
    result = plan_sync(
        unit_id=UNIT,
        mode="full",
        rows=[Row(0, "A", values("甲"))],
        listed={"A", "B"},
        linked=linked,
        by_id_number={},
        now=NOW,
    )
    assert result.changes == []


def test_known_id_number_links_and_keeps_another_organizations_placement() -> None:
    branch = uuid.uuid4()
    existing = stored(
        "丙", id_number="11010519491231002X", birth_date=date(1949, 12, 31), gender="female"
    )
    existing.update(home_organization_id=branch, branch_id=branch, categories=["retired"])
    other_community = uuid.uuid4()
    row = Row(0, "C", values("丙", id_number="11010519491231002X", community_id=other_community))
    result = plan([row], {}, by_id_number={(DISTRICT, "11010519491231002X"): (existing, None)})
    (change,) = result.changes
    assert change.kind == "linked" and change.changed == ["categories"]
    assert change.after["community_id"] == COMMUNITY and change.after["branch_id"] == branch
    assert result.created == [] and result.new_links == [("C", existing["id"])]


def test_leaving_a_member_of_another_organization_only_unlinks() -> None:
    other = stored("丁")
    other["home_organization_id"] = uuid.uuid4()
    result = plan([], {"D": other})
    assert result.changes == [] and [e for e, _ in result.unlinked] == ["D"]
