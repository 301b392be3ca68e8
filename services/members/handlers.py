"""Events the members service reacts to: none yet (it is the source of member facts)."""

from shared.consumer import HandlerEntry

HANDLERS: dict[str, HandlerEntry] = {}
