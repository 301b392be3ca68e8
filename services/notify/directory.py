"""What notify knows of members and organizations: projections kept from the members
service's events (``shared.projections``)."""

from services.notify.models import NotifyBase
from services.notify.policy import Action
from shared.projections.directory import install_directory

DIRECTORY = install_directory(NotifyBase, read=Action.read)
MemberProjection = DIRECTORY.members
OrganizationProjection = DIRECTORY.organizations
