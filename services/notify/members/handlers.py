from services.notify.members.models import MemberProjection
from shared.projections.handlers import member_handler

on_member_changed = member_handler(MemberProjection)
# The plain function too, for callers that wrap it (tests, benchmarks).
project_members = on_member_changed.handle
