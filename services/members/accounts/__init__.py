"""Staff and member accounts: password sign-in, access and refresh tokens, role grants
bound to the organization tree."""
