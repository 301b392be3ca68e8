"""What the scoring service reacts to: consumed event type -> handler."""

from services.scoring.members.handlers import on_member_registered
from shared.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "member.registered": on_member_registered,
}
