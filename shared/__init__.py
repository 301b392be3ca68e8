"""Infrastructure shared by every Gongjian service: settings, logging, database, events, web.

Nothing domain-specific lives here; services talk to each other only through the
event contracts in ``shared.contracts``.
"""
