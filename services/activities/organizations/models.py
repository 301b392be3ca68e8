from services.activities.models import ActivitiesBase
from shared.projections.models import OrganizationProjectionColumns


class OrganizationProjection(OrganizationProjectionColumns, ActivitiesBase):
    """What activities knows of an organization; only the members service changes them."""

    __tablename__ = "organization_projection"
