from typing import get_args

from django.apps import AppConfig


class AgentenvConfig(AppConfig):
    name = "agentenv"

    def ready(self) -> None:
        from agentenv import receivers  # noqa: F401  (connects the signal receivers)
        from agentenv.actions.chart import ReadableSection
        from clinical.chart_sections import chart_sections_require

        # The apps below have registered their chart sections by now; fail at startup, not mid-episode.
        chart_sections_require(get_args(ReadableSection), user="read_chart_section")
