from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"

    def ready(self) -> None:
        from clinical.chart_sections import chart_section_register

        # Tabs are ordered by tens, so that the apps built on clinical can place theirs between these.
        for order, name, label in [
            (10, "summary", "Summary"),
            (20, "problems", "Problems"),
            (30, "medications", "Medications"),
            (40, "allergies", "Allergies"),
            (50, "results", "Results"),
            (55, "questionnaires", "Questionnaires"),
            (60, "vitals", "Vitals"),
            (80, "encounters", "Encounters"),
            (90, "immunizations", "Immunizations"),
            (100, "procedures", "Procedures"),
        ]:
            chart_section_register(name=name, label=label, url_name=f"clinical:chart_{name}", order=order)
