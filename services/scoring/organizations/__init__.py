"""This service's projection of the organization tree, kept from the members service's events."""
