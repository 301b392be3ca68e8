"""Short-lived access tokens: EdDSA-signed JWTs (PyJWT) carrying the caller's grants.

The members service signs them with the private key; every service verifies them with
the public key, so no request needs a call to another service. A grant changed or
revoked takes effect at the next refresh (access tokens live minutes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.auth.principal import Grant, Principal
from shared.auth.roles import Role

ALGORITHM = "EdDSA"
AUDIENCE = "gongjian"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class TokenSigner:
    private_key: str
    issuer: str
    ttl: timedelta

    def issue(
        self,
        *,
        account_id: uuid.UUID,
        name: str,
        grants: list[Grant],
        member_id: uuid.UUID | None,
        now: datetime | None = None,
    ) -> tuple[str, datetime]:
        now = now or datetime.now(UTC)
        expires = now + self.ttl
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(account_id),
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
            "name": name,
            "grants": [
                {"role": g.role.value, "node": str(g.node_id) if g.node_id else None}
                for g in grants
            ],
        }
        if member_id is not None:
            claims["member"] = str(member_id)
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM), expires


@dataclass(frozen=True)
class TokenVerifier:
    public_key: str
    issuer: str

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
            grants = tuple(
                Grant(Role(g["role"]), uuid.UUID(g["node"]) if g["node"] else None)
                for g in claims.get("grants", [])
            )
            member = claims.get("member")
            return Principal(
                kind="account",
                subject=uuid.UUID(claims["sub"]),
                name=str(claims.get("name", "")),
                grants=grants,
                member_id=uuid.UUID(member) if member else None,
            )
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc)) from exc
