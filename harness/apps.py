from django.apps import AppConfig


class HarnessConfig(AppConfig):
    name = "harness"
    verbose_name = "Task harness"

    def ready(self) -> None:
        # The environment runs task episodes through this library; it does not import the harness.
        from agentenv.task_source import task_source_register
        from harness.task_source import HarnessTaskSource

        task_source_register(HarnessTaskSource())
