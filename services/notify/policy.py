"""Who may do what in the notify service (templates, deliveries and inboxes): its
permissions and the roles holding them. Which rows a permission reaches is the grant's subtree
(``shared.auth.scope``)."""

from __future__ import annotations

from shared.auth.roles import OPERATE, STAFF, Permission


class Action:
    """The notify service's permissions (used as ``Action.read`` and so on)."""

    # The members and organizations of the caller's subtree, as this service knows them.
    read = Permission("read", STAFF)
    # Metrics and dead letters.
    operate = OPERATE
