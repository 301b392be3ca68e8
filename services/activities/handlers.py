"""What the activities service reacts to: consumed event type -> handler."""

from services.activities.members.handlers import on_member_changed
from services.activities.organizations.handlers import on_organization_changed
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {
    "member.registered": on_member_changed,
    "member.updated": on_member_changed,
    "member.moved": on_member_changed,
    "member.deactivated": on_member_changed,
    "organization.created": on_organization_changed,
    "organization.updated": on_organization_changed,
    "organization.deactivated": on_organization_changed,
}
