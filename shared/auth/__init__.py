"""Who may see and do what: signed access tokens, principals, roles bound to the
organization tree, the scope filter every query applies, and masking of personal data.

Every service verifies access tokens with the public key alone (no call to another
service per request); the members service, which owns accounts, also signs them.
"""
