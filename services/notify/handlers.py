"""What the notify service reacts to: consumed event type -> handler."""

from services.notify.members.handlers import on_member_changed
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {
    "member.registered": on_member_changed,
}
