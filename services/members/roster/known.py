"""The community's roster as it stands, to recognise a row of someone already in it: an
exported roster imports again without errors and without registering anyone twice.

A row is someone already here when a record of this community (whatever its state) has
the same ID number; or the same name and mobile (the registry's second rule of one
person, one record); or the same name and home organization where the row or the record
has no ID number to tell two people apart (the number was filled in on the sheet
later). Such a row is left as it is: an import registers new members only; changes to a
record go through the record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from services.members.registry.schemas import MemberCreate


@dataclass(frozen=True)
class RosterEntry:
    name: str
    id_number: str | None
    mobile: str | None
    home_organization_id: uuid.UUID | None


class KnownMembers:
    def __init__(self, entries: Iterable[RosterEntry]) -> None:
        self._id_numbers: set[str] = set()
        self._name_mobiles: set[tuple[str, str]] = set()
        self._name_homes: dict[tuple[str, uuid.UUID | None], bool] = {}  # -> all have IDs
        for e in entries:
            if e.id_number:
                self._id_numbers.add(e.id_number)
            if e.mobile:
                self._name_mobiles.add((e.name, e.mobile))
            key = (e.name, e.home_organization_id)
            self._name_homes[key] = self._name_homes.get(key, True) and bool(e.id_number)

    def includes(self, member: MemberCreate) -> bool:
        if member.id_number and member.id_number in self._id_numbers:
            return True
        if member.mobile and (member.name, member.mobile) in self._name_mobiles:
            return True
        all_have_ids = self._name_homes.get((member.name, member.home_organization_id))
        if all_have_ids is None:
            return False
        return not member.id_number or not all_have_ids
