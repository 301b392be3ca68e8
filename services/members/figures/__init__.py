"""Structure figures (党员结构) per organization subtree, as communities report them."""
