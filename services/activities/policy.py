"""Who may do what in the activities service (organization life, activities, service
posts, check-ins and hours): its permissions and the roles holding them. Which rows a
permission reaches is the grant's subtree (``shared.auth.scope``); a member acts on their
own check-ins, leave requests, sign-ups, claims and service records through
``principal.member_id``, never through a grant."""

from __future__ import annotations

from shared.auth.roles import ADMINS, OPERATE, STAFF, Permission, Role


class Action:
    """The activities service's permissions (used as ``Action.read`` and so on)."""

    # Members, organizations, activities, attendance, posts, commitments and hours of the
    # caller's subtree (a unit admin: its in-service members').
    read = Permission("read", STAFF)
    # An organization's own life: schedule, change and cancel its activities, show the
    # check-in code, take the roll, approve leave, record minutes, correct attendance.
    organize = Permission("organize", ADMINS | {Role.branch_secretary, Role.group_leader})
    # A community's service to residents: posts, commitments, confirming service records,
    # service batches and the monthly plan.
    serve = Permission("serve", ADMINS)
    # Organization-life requirements: the district's defaults, a community's overrides.
    set_requirements = Permission("set_requirements", ADMINS)
    # Metrics and dead letters.
    operate = OPERATE
