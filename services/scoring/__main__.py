from services.scoring.app import create_app
from services.scoring.settings import ScoringSettings
from shared.cli import main

main("scoring", ScoringSettings, create_app)
