from django.apps import AppConfig


class AgentenvConfig(AppConfig):
    name = "agentenv"

    def ready(self) -> None:
        from agentenv import receivers  # noqa: F401  (connects the signal receivers)
