from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.cli import main

main("notify", NotifySettings, create_app)
