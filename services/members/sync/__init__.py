"""Sync for unit Party organizations (单位党组织同步在职党员): a unit sends its in-service
members keyed by its own external ids; the registry creates, updates, links and
deactivates to match, set-based so a list of 10,000 members is one quick request."""
