from services.activities.models import ActivitiesBase
from shared.projections.models import MemberProjectionColumns


class MemberProjection(MemberProjectionColumns, ActivitiesBase):
    """What activities knows of a member; only the members service changes members."""

    __tablename__ = "member_projection"
