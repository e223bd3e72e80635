from django.apps import AppConfig


class AgentenvConfig(AppConfig):
    name = "agentenv"
