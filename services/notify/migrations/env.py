from services.notify.app import SPEC  # the app imports every feature, so the schema is whole
from shared.migrations import run_env

run_env(SPEC.metadata)
