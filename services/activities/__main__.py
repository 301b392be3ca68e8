from services.activities.app import create_app
from services.activities.settings import ActivitiesSettings
from shared.cli import main

main("activities", ActivitiesSettings, create_app)
