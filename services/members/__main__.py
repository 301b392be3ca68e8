from services.members.app import create_app
from services.members.settings import MembersSettings
from shared.cli import main

main("members", MembersSettings, create_app)
