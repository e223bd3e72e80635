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
        # The visit navigator, where a clinician works today's visit, comes right after the Summary.
        chart_section_register(name="visit", label="Visit", url_name="clinical:chart_visit", order=15)

        from clinical.visit import VisitPart, visit_part_register, visit_problems, visit_vitals

        visit_part_register(VisitPart(name="vitals", label="Vitals", order=10, items=visit_vitals,
                                      empty="No vitals recorded in this visit"))
        visit_part_register(VisitPart(name="problems", label="Problems addressed", order=20, items=visit_problems,
                                      empty="No problems added or updated in this visit",
                                      action_label="Problem list", action_url_name="clinical:chart_problems"))
