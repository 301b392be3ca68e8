"""Who may do what in the members service: its permissions and the roles holding them,
the tree nodes each role may be granted on, what a unit's API key may do, and who sees
personal data in full. Which rows a permission reaches is the grant's subtree
(``shared.auth.scope``; ``access`` applies it to this service's tables)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from shared.auth.principal import Principal
from shared.auth.roles import ABOVE_COMMUNITY, ADMINS, OPERATE, STAFF, Permission, Role
from shared.contracts.vocabulary import OrgKind


class Action:
    """The members service's permissions (used as ``Action.read`` and so on)."""

    # See members, organizations, report-ins, transfers in scope.
    read = Permission("read", STAFF)
    # Register, change, move, merge members; report-in; transfers.
    write = Permission("write", ADMINS | {Role.unit_admin})
    # Create, rename, move, deactivate organizations.
    organize = Permission("organize", ADMINS)
    # A unit's member sync.
    sync = Permission("sync", frozenset({Role.unit_admin}))
    # Create and revoke a unit's API keys.
    manage_keys = Permission("manage_keys", ADMINS | {Role.unit_admin})
    # Create accounts, grant and revoke roles.
    manage_accounts = Permission("manage_accounts", ADMINS | {Role.unit_admin})
    # Read the audit log.
    audit = Permission("audit", ADMINS | {Role.unit_admin})
    # Metrics and dead letters.
    operate = OPERATE


# What a unit system may do with its key: sync its members and read its own reports.
KEY_ACTIONS = frozenset({Action.sync.name, Action.read.name})

# The organization kinds a grant of each role may be bound to.
NODE_KINDS: dict[Role, frozenset[str]] = {
    Role.district_admin: frozenset({OrgKind.district}),
    Role.street_admin: frozenset({OrgKind.street}),
    Role.community_admin: frozenset({OrgKind.community}),
    Role.branch_secretary: frozenset({OrgKind.committee, OrgKind.general_branch, OrgKind.branch}),
    Role.group_leader: frozenset({OrgKind.group}),
    Role.unit_admin: frozenset({OrgKind.unit}),
}


def sees_personal_data(
    principal: Principal, member_id: uuid.UUID | None, places: Collection[uuid.UUID]
) -> bool:
    """Mobile, ID number and address in full: for the member themself and for whoever may
    change the record — a grant allowing ``Action.write`` on one of ``places``, the
    member's home organization and residential community with all their ancestors (the
    same reach ``access.members_visible`` gives writes). So the district, street and
    community admins over the member and the admin of the unit holding an in-service
    member's organization relationship see it in full; the read-only roles (branch
    secretary, group leader) and unit systems' keys don't."""
    if member_id is not None and principal.member_id == member_id:
        return True
    return not set(principal.nodes_for(Action.write)).isdisjoint(places)


def reads_personal_data_from_above(
    principal: Principal, member_id: uuid.UUID | None, places: Collection[uuid.UUID]
) -> bool:
    """Personal data in full only through a district or street grant: such a read is
    audited (the community's and the unit's own admins keep the record; the member reads
    their own)."""
    if not sees_personal_data(principal, member_id, places):
        return False
    if member_id is not None and principal.member_id == member_id:
        return False
    local = {
        g.node_id
        for g in principal.grants
        if g.role in Action.write.roles and g.role not in ABOVE_COMMUNITY
    }
    return local.isdisjoint(places)
