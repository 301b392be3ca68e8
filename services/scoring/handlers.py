"""What the scoring service reacts to: consumed event type -> handler."""

from services.scoring.members.handlers import on_member_changed
from services.scoring.organizations.handlers import on_organization_changed
from shared.consumer import HandlerEntry
from shared.contracts.members import MEMBER_EVENT_TYPES

HANDLERS: dict[str, HandlerEntry] = {
    **dict.fromkeys(MEMBER_EVENT_TYPES, on_member_changed),
    "organization.created": on_organization_changed,
    "organization.updated": on_organization_changed,
    "organization.deactivated": on_organization_changed,
}
