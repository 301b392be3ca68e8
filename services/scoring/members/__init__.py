"""This service's projection of members, kept from the members service's events."""
