"""Events the members service reacts to: none yet (it is the source of member facts)."""

from shared.consumer import Handler

HANDLERS: dict[str, Handler] = {}
