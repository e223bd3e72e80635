from django.apps import AppConfig


class HarnessConfig(AppConfig):
    name = "harness"
    verbose_name = "Task harness"

    def ready(self) -> None:
        # The environment runs task episodes through this library; it does not import the harness.
        from agentenv.task_source import task_source_register
        from clinical.chart_sections import chart_sections_require
        from harness.rubrics.trajectory import SECTIONS
        from harness.task_source import HarnessTaskSource

        task_source_register(HarnessTaskSource())
        # The apps below have registered their chart sections by now; a rubric must not name one that is missing.
        chart_sections_require(SECTIONS, user="The section_visited criterion")
