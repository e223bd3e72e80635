from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"

    def ready(self) -> None:
        from clinical.chart_sections import chart_section_register

        # The Notes tab is the last one.
        chart_section_register(name="notes", label="Notes", url_name="notes:chart_notes", order=110)
