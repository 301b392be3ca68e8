from pathlib import Path

from pydantic import SecretStr

from shared.settings import Field, ServiceSettings, service_config


class MembersSettings(ServiceSettings):
    model_config = service_config("MEMBERS_")

    service_name: str = "members"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gongjian_members"
    http_port: int = 8001
    # Bulk routes (a unit's sync of 10,000 members is about 2.5 MB of JSON; a roster
    # upload of a large community) take more; other routes keep ``max_body_bytes``.
    bulk_max_body_bytes: int = 20_000_000
    # 组织关系转接: days the receiving organization has to answer a request before it
    # shows as overdue.
    transfer_due_days: int = Field(
        30, ge=1, description="组织关系转接的办理期限（天）：接收方超过此天数未处理即标为超期"
    )

    # Signing access tokens (the other services hold only the public key). Development
    # and test fall back to the repository's development key; production refuses it.
    jwt_private_key: SecretStr | None = None
    jwt_private_key_file: Path | None = None
    access_token_minutes: int = Field(15, ge=1, le=120, description="访问令牌有效分钟数")
    refresh_token_days: int = Field(14, ge=1, le=90, description="刷新令牌有效天数")
    # Sign-in throttling (moving windows, counted in the database for all instances).
    sign_in_failures_per_username: str = "5/15minutes"
    sign_in_failures_per_client: str = "30/15minutes"
    # Unit systems' sync calls per API key (429 with Retry-After beyond it).
    sync_rate_limit: str = "30/minute"
