"""Accounts, their role grants and their refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.members.models import MembersBase


class Account(MembersBase):
    """A person who signs in: staff of a community, street, district or unit, or a
    member for self-service (``member_id`` set)."""

    __tablename__ = "account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Lower-cased; what the person types to sign in (often the mobile number).
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    # argon2id hash (argon2-cffi); never the password.
    password_hash: Mapped[str] = mapped_column(String(200))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("member.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class AccountGrant(MembersBase):
    """One role on one organization node and its subtree. Revoked, never deleted."""

    __tablename__ = "account_grant"
    __table_args__ = (
        Index(
            "uq_account_grant_live",
            "account_id",
            "role",
            "node_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    # None only for the platform-wide operations role.
    node_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class RefreshToken(MembersBase):
    """A refresh token, stored as its SHA-256. Each use rotates it; presenting a rotated
    token again revokes every token of the account (it was copied)."""

    __tablename__ = "refresh_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
