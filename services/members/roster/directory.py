"""The organizations a roster can name (所在党组织): the community's committees, general
branches, branches and groups, the unit Party organizations that co-build with it, and
the organizations its members already belong to (the units of in-service residents), so
that whatever the export writes, the import reads back.

Staff write a name. Where two organizations share one (every branch may have a
"第一党小组"), they write the parent too, ``第一党支部/第一党小组``, or the organization's
id; the export writes the shortest such path that is unique."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from services.members.organizations.tree import HOME_KINDS
from shared.contracts.vocabulary import OrgKind

_PATH_SEPARATOR = re.compile(r"\s*[/／>＞]\s*")


@dataclass(frozen=True)
class OrgEntry:
    id: uuid.UUID
    name: str
    kind: str
    parent_id: uuid.UUID | None


class UnknownOrganization(ValueError):
    """The message says what to write instead."""


class OrgDirectory:
    def __init__(self, entries: Iterable[OrgEntry]) -> None:
        self._by_id = {e.id: e for e in entries}
        self._homes = [e for e in self._by_id.values() if OrgKind(e.kind) in HOME_KINDS]

    def _path(self, entry: OrgEntry) -> list[str]:
        """Names from the top of what the directory knows down to ``entry``."""
        names = [entry.name]
        parent = self._by_id.get(entry.parent_id) if entry.parent_id else None
        while parent is not None and OrgKind(parent.kind) in HOME_KINDS:
            names.append(parent.name)
            parent = self._by_id.get(parent.parent_id) if parent.parent_id else None
        return names[::-1]

    def _matching(self, segments: list[str]) -> list[OrgEntry]:
        return [e for e in self._homes if self._path(e)[-len(segments) :] == segments]

    def resolve(self, text: str) -> uuid.UUID:
        """The home organization a cell names, or :class:`UnknownOrganization`."""
        try:
            org_id = uuid.UUID(text)
        except ValueError:
            pass
        else:
            if org_id not in {e.id for e in self._homes}:
                raise UnknownOrganization("本社区没有这个编号的党组织")
            return org_id
        segments = [s for s in _PATH_SEPARATOR.split(text.strip()) if s]
        found = self._matching(segments)
        if len(found) == 1:
            return found[0].id
        if not found:
            raise UnknownOrganization(
                f"本社区没有名为「{text}」的党组织（可填本社区的党委、党总支、党支部、党小组，"
                "与本社区共驻共建的单位党组织，或已有党员居住在本社区的单位党组织）"
            )
        raise UnknownOrganization(
            f"本社区有 {len(found)} 个名为「{text}」的党组织，请写成「上级组织/{segments[-1]}」"
            "或填写组织编号"
        )

    def label(self, org_id: uuid.UUID | None) -> str:
        """What the export writes: the shortest unique name path, else the id."""
        if org_id is None:
            return ""
        entry = self._by_id.get(org_id)
        if entry is None:
            return str(org_id)
        path = self._path(entry)
        for length in range(1, len(path) + 1):
            if len(self._matching(path[-length:])) == 1:
                return "/".join(path[-length:])
        return str(org_id)
