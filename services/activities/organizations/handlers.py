from services.activities.organizations.models import OrganizationProjection
from shared.projections.handlers import organization_handler

# One instance for all three event types, so consecutive ones form one run.
on_organization_changed = organization_handler(OrganizationProjection)
