"""What every service that projects the members service's members and organizations
shares: the upsert that keeps the newest version (``upsert``), the tables' columns
(``models``), the batch handlers that fill them (``handlers``) and the scoped read
routes over them (``api``).

A service wires the kit to its own tables in thin modules (``<service>/members/`` and
``<service>/organizations/``), so each keeps its own database and migrations.
"""
