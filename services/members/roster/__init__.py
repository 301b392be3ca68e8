"""The member roster (党员台账): import staff's spreadsheets, export the community's.

``POST /communities/{id}/roster/import`` (an .xlsx or CSV upload) and
``python -m services.members import-roster COMMUNITY_ID FILE`` register the rows;
``GET /communities/{id}/roster/export`` answers the .xlsx. The columns, shared by both
directions, are in :mod:`services.members.roster.columns`."""
