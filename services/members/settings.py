from shared.settings import ServiceSettings, service_config


class MembersSettings(ServiceSettings):
    model_config = service_config("MEMBERS_")

    service_name: str = "members"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gongjian_members"
    http_port: int = 8001
    # Bulk routes (a unit's sync of 10,000 members is about 2.5 MB of JSON; a roster
    # upload of a large community) take more; other routes keep ``max_body_bytes``.
    bulk_max_body_bytes: int = 20_000_000
