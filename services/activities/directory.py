"""What activities knows of members and organizations: projections kept from the members
service's events (``shared.projections``)."""

from services.activities.models import ActivitiesBase
from services.activities.policy import Action
from shared.projections.directory import install_directory

DIRECTORY = install_directory(ActivitiesBase, read=Action.read)
MemberProjection = DIRECTORY.members
OrganizationProjection = DIRECTORY.organizations
