"""What the scoring service reacts to: consumed event type -> handler."""

from services.scoring.members.handlers import on_member_changed
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {
    "member.registered": on_member_changed,
}
