"""Report-in (在职党员到社区报到, 双报到): an in-service member of a unit Party
organization registers with the residential community where they serve."""
