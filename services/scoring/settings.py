from shared.settings import ServiceSettings, service_config


class ScoringSettings(ServiceSettings):
    model_config = service_config("SCORING_")

    service_name: str = "scoring"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gongjian_scoring"
    http_port: int = 8003
