"""Who may do what in the scoring service (point rules, the ledger, the monthly
cycle, ratings and feedback reports): its permissions and the roles
holding them. Which rows a permission reaches is the grant's subtree
(``shared.auth.scope``)."""

from __future__ import annotations

from shared.auth.roles import OPERATE, STAFF, Permission


class Action:
    """The scoring service's permissions (used as ``Action.read`` and so on)."""

    # The members and organizations of the caller's subtree, as this service knows them.
    read = Permission("read", STAFF)
    # Metrics and dead letters.
    operate = OPERATE
