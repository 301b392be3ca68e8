"""What scoring knows of members and organizations: projections kept from the members
service's events (``shared.projections``)."""

from services.scoring.models import ScoringBase
from services.scoring.policy import Action
from shared.projections.directory import install_directory

DIRECTORY = install_directory(ScoringBase, read=Action.read)
MemberProjection = DIRECTORY.members
OrganizationProjection = DIRECTORY.organizations
