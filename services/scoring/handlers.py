"""What the scoring service reacts to: consumed event type -> handler."""

from services.scoring.directory import DIRECTORY
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {**DIRECTORY.handlers}
