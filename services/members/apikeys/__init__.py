"""API keys for unit systems: one unit each, sync and report endpoints only."""
