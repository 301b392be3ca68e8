"""What the notify service reacts to: consumed event type -> handler."""

from services.notify.directory import DIRECTORY
from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {**DIRECTORY.handlers}
