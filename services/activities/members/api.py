from services.activities.members.models import MemberProjection
from services.activities.organizations.models import OrganizationProjection
from shared.projections.api import member_router

router = member_router(MemberProjection, OrganizationProjection)
