from shared.settings import ServiceSettings, service_config


class MembersSettings(ServiceSettings):
    model_config = service_config("MEMBERS_")

    service_name: str = "members"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gongjian_members"
    http_port: int = 8001
