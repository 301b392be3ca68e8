from shared.settings import ServiceSettings, service_config


class ActivitiesSettings(ServiceSettings):
    model_config = service_config("ACTIVITIES_")

    service_name: str = "activities"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gongjian_activities"
    http_port: int = 8002
