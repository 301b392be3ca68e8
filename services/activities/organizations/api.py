from services.activities.organizations.models import OrganizationProjection
from shared.projections.api import organization_router

router = organization_router(OrganizationProjection)
