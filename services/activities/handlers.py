"""What the activities service reacts to: consumed event type -> handler."""

from services.activities.members.handlers import on_member_changed
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {
    "member.registered": on_member_changed,
}
