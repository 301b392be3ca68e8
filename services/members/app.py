from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.members.accounts.api import auth_router
from services.members.accounts.api import router as accounts_router
from services.members.accounts.rate_limits import key_secret, rate_limits
from services.members.accounts.service import TokenPolicy
from services.members.accounts.throttle import SignInThrottle
from services.members.apikeys import service as apikeys
from services.members.apikeys.api import router as apikeys_router
from services.members.audit.api import router as audit_router
from services.members.audit.models import AuditEntry
from services.members.figures.api import router as figures_router
from services.members.handlers import HANDLERS
from services.members.models import MembersBase, messaging
from services.members.onboarding.api import router as onboarding_router
from services.members.organizations.api import router as organizations_router
from services.members.registry.api import router as registry_router
from services.members.reportin.api import router as reportin_router
from services.members.roster.api import ROSTER_IMPORT_PATH
from services.members.roster.api import router as roster_router
from services.members.settings import MembersSettings
from services.members.sync.api import SYNC_PATH
from services.members.sync.api import router as sync_router
from services.members.transfers.api import router as transfers_router
from shared.app import create_service_app
from shared.auth.keys import DEV_PRIVATE_KEY, resolve_key
from shared.auth.limits import Limiter
from shared.auth.tokens import TokenSigner
from shared.runtime import Mode, ServiceSpec

SPEC = ServiceSpec(
    name="members",
    metadata=MembersBase.metadata,
    tables=messaging,
    routers=[
        auth_router,
        accounts_router,
        apikeys_router,
        registry_router,
        organizations_router,
        onboarding_router,
        figures_router,
        roster_router,
        sync_router,
        reportin_router,
        transfers_router,
        audit_router,
    ],
    handlers=HANDLERS,
    consumes=[],
    audit=AuditEntry,
)


def create_app(settings: MembersSettings | None = None, mode: Mode = "all") -> FastAPI:
    settings = settings or MembersSettings()
    app = create_service_app(
        SPEC,
        settings,
        mode,
        title="共建 · 党员与组织",
        body_limits={
            SYNC_PATH: settings.bulk_max_body_bytes,
            ROSTER_IMPORT_PATH: settings.bulk_max_body_bytes,
        },
    )
    # Members owns accounts: it signs access tokens and resolves unit systems' API keys.
    private_key = resolve_key(
        inline=settings.jwt_private_key,
        file=settings.jwt_private_key_file,
        environment=settings.environment,
        dev_default=DEV_PRIVATE_KEY,
        setting="MEMBERS_JWT_PRIVATE_KEY",
    )
    app.state.token_policy = TokenPolicy(
        signer=TokenSigner(
            private_key, settings.jwt_issuer, timedelta(minutes=settings.access_token_minutes)
        ),
        refresh_ttl=timedelta(days=settings.refresh_token_days),
    )
    # Rate limits count in the members database, shared by every API instance.
    secret = key_secret(private_key)
    app.state.sign_in_throttle = SignInThrottle(
        settings.sign_in_failures_per_username,
        settings.sign_in_failures_per_client,
        table=rate_limits,
        secret=secret,
    )
    app.state.sync_limiter = Limiter(
        settings.sync_rate_limit, scope="unit_sync", table=rate_limits, secret=secret
    )
    app.state.api_key_resolver = apikeys.resolve
    return app
