"""The members service's audit log (``shared.audit``): writes to members, organizations,
report-ins, transfers, accounts, grants and API keys, and full reads of personal data
from above the community."""

from __future__ import annotations

from services.members.models import MembersBase
from shared.audit import AuditColumns


class AuditEntry(AuditColumns, MembersBase):
    __tablename__ = "audit_log"
