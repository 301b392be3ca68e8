from services.scoring.models import ScoringBase
from shared.projections.models import OrganizationProjectionColumns


class OrganizationProjection(OrganizationProjectionColumns, ScoringBase):
    """What scoring knows of an organization; only the members service changes them."""

    __tablename__ = "organization_projection"
