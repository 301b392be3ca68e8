"""The members database's rate-limit counters (``shared/auth/limits.py``): sign-in
throttling and unit systems' sync calls, shared by every API instance."""

from __future__ import annotations

import hashlib
import hmac

from services.members.models import MembersBase
from shared.auth.limits import add_rate_limit_table

rate_limits = add_rate_limit_table(MembersBase.metadata)


def key_secret(private_key: str) -> bytes:
    """The secret the stored keys are HMACs under, derived from the token signing key:
    every instance holds the same one. A new signing key only starts counters afresh."""
    return hmac.new(private_key.encode(), b"gongjian rate-limit keys", hashlib.sha256).digest()
