"""Password hashing (argon2id, argon2-cffi defaults) and the minimal password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Compared against when the username is unknown, so both paths take the same time.
_DUMMY = _hasher.hash("不存在的账号-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in words for the person choosing it."""
    if len(password) < 8:
        return "密码至少8位"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字"
    return None
