from services.notify.models import NotifyBase
from shared.projections.models import OrganizationProjectionColumns


class OrganizationProjection(OrganizationProjectionColumns, NotifyBase):
    """What notify knows of an organization; only the members service changes them."""

    __tablename__ = "organization_projection"
