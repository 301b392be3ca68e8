from services.scoring.models import ScoringBase
from shared.projections.models import MemberProjectionColumns


class MemberProjection(MemberProjectionColumns, ScoringBase):
    """What scoring knows of a member; only the members service changes members."""

    __tablename__ = "member_projection"
