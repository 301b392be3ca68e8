"""members: the organization tree, the member registry (党员信息库), reports-in and transfers."""
