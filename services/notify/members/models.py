from services.notify.models import NotifyBase
from shared.projections.models import MemberProjectionColumns


class MemberProjection(MemberProjectionColumns, NotifyBase):
    """What notify knows of a member; only the members service changes members."""

    __tablename__ = "member_projection"
