"""What a caller sees of a member: mobile, ID number and address in full only for the
member and the admins of the member's own community; masked for everyone else."""

from __future__ import annotations

import uuid
from typing import Any

from services.members.models import Member
from services.members.registry.schemas import MemberOut
from shared.auth.masking import mask_address, mask_id_number, mask_mobile
from shared.auth.principal import Principal

MASKS = {"mobile": mask_mobile, "id_number": mask_id_number, "address": mask_address}


def mask_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {k: MASKS[k](v) if k in MASKS and isinstance(v, str) else v for k, v in values.items()}


def member_out(member: Member, principal: Principal) -> MemberOut:
    out = MemberOut.model_validate(member)
    if principal.sees_personal_data(member.id, member.community_id):
        return out
    return out.model_copy(update=mask_fields(out.model_dump(include=set(MASKS))))


def masked_snapshot(
    values: dict[str, Any] | None,
    principal: Principal,
    member_id: uuid.UUID,
    community_id: uuid.UUID | None,
) -> dict[str, Any] | None:
    """A history entry's before/after, masked like the record itself."""
    if values is None or principal.sees_personal_data(member_id, community_id):
        return values
    return mask_fields(values)
