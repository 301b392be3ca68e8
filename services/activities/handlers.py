"""What the activities service reacts to: consumed event type -> handler."""

from services.activities.directory import DIRECTORY
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {**DIRECTORY.handlers}
