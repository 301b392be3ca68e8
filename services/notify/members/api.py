from services.notify.members.models import MemberProjection
from services.notify.organizations.models import OrganizationProjection
from shared.projections.api import member_router

router = member_router(MemberProjection, OrganizationProjection)
