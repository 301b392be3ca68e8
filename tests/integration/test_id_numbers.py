"""ID numbers as people have them and type them, through every way in: registration,
roster import and a unit's sync accept older residents' numbers issued in areas created
after their birth, and numbers typed with spaces or dashes (stored compact)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from stdnum.cn import ric

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService

pytestmark = pytest.mark.integration

# From the district trial: born 1958, 1952 and 1960 in areas whose codes date from 1983.
TRIAL_IDS = ("652901195803091235", "650102195205171236", "440305196010021233")


def older_resident(area: str, year: int, serial: int) -> str:
    body = f"{area}{year}0301{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


# Born in the 1930s and 1940s; 房山区 (110111) dates from 1986, 廊坊安次区 (131002) from 1988.
OLDER_IDS = (older_resident("110111", 1936, 11), older_resident("131002", 1944, 24))


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    client = platform["members"].client
    tree = await build_tree(client)
    client.grants.append(Grant(Role.unit_admin, tree.unit))
    return tree


def spaced(number: str) -> str:
    return f"{number[:6]} {number[6:14]}-{number[14:]}".lower()


async def test_registration_accepts_older_residents_and_typed_separators(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    client = platform["members"].client
    for i, number in enumerate((*TRIAL_IDS, *OLDER_IDS)):
        typed = spaced(number) if i % 2 else number
        body = member_body(tree, f"老党员{i}", id_number=typed, joined_at="1980-07-01")
        response = await client.post("/members", json=body)
        assert response.status_code == 201, response.text
        member = response.json()
        assert member["id_number"] == number
        assert member["birth_date"] == str(ric.get_birth_date(number))
    # The compact number is what the one-person-one-record check compares.
    again = await client.post(
        "/members", json=member_body(tree, "重复", id_number=spaced(TRIAL_IDS[0]))
    )
    assert again.status_code == 409, again.text


async def test_roster_import_accepts_them(platform: dict[str, RunningService], tree: Tree) -> None:
    client = platform["members"].client
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "所在党组织"])
    numbers = (*TRIAL_IDS, *OLDER_IDS)
    for i, number in enumerate(numbers):
        sheet.append([f"老党员{i}", spaced(number) if i % 2 else number, "第一党支部"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = await client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("台账.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == len(numbers)
    listed = (await client.get("/members", params={"limit": 50})).json()["items"]
    assert {m["id_number"] for m in listed} == set(numbers)


async def test_a_units_sync_accepts_them(platform: dict[str, RunningService], tree: Tree) -> None:
    client = platform["members"].client
    numbers = (*TRIAL_IDS, *OLDER_IDS)
    rows: list[dict[str, Any]] = [
        {
            "external_id": f"E{i}",
            "name": f"在职党员{i}",
            "id_number": spaced(number) if i % 2 else number,
            "community_id": str(tree.community),
        }
        for i, number in enumerate(numbers)
    ]
    response = await client.post(f"/units/{tree.unit}/sync", json={"mode": "full", "members": rows})
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["created"] == len(numbers), response.json()["errors"]
    listed = (await client.get("/members", params={"organization_id": str(tree.unit)})).json()
    assert {m["id_number"] for m in listed["items"]} == set(numbers)
