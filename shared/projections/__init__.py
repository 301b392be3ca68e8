"""What every service that projects the members service's members and organizations
shares: the upsert that keeps the newest version (``upsert``), the tables' columns
(``models``), the batch handlers that fill them (``handlers``), the scoped read routes
over them (``api``), their migrations (``migrations``), and the one call that installs
all of it into a service (``directory.install_directory``).
"""
