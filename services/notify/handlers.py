"""What the notify service reacts to: consumed event type -> handler."""

from services.notify.members.handlers import on_member_registered
from shared.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "member.registered": on_member_registered,
}
