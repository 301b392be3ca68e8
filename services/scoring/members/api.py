from services.scoring.members.models import MemberProjection
from services.scoring.organizations.models import OrganizationProjection
from shared.projections.api import member_router

router = member_router(MemberProjection, OrganizationProjection)
