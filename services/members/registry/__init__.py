"""Member registry (党员信息库)."""
