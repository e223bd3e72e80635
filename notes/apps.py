from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"

    def ready(self) -> None:
        from clinical.chart_sections import chart_section_register

        # The Notes tab is the last one.
        chart_section_register(name="notes", label="Notes", url_name="notes:chart_notes", order=110)

        from clinical.visit import VisitPart, visit_part_register
        from notes.selectors import notes_in_visit

        visit_part_register(VisitPart(name="notes", label="Notes", order=40, items=notes_in_visit,
                                      empty="No note written in this visit",
                                      action_label="Write note", action_url_name="notes:note_new"))
