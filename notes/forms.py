"""Forms of the Notes activity: they render accessible fields and parse the request.

The rules (known note types, templates matching their type, who may edit) live in
notes.services, so the browser and semantic actions are held to the same ones; the
views copy the services' field errors back onto these forms.
"""

from django import forms

from notes import selectors
from notes.models import Note

TYPE_CHOICES = [("", "All types"), *Note.NoteType.choices]
STATUS_CHOICES = [("", "All statuses"), *Note.Status.choices]


class NoteFilterForm(forms.Form):
    type = forms.ChoiceField(
        label="Type", required=False, choices=TYPE_CHOICES,
        widget=forms.Select(attrs={"data-testid": "notes-filter-type"}),
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=STATUS_CHOICES,
        widget=forms.Select(attrs={"data-testid": "notes-filter-status"}),
    )

    def valid_filters(self) -> dict:
        """The filters that validated; unknown values are dropped (and reported by the view)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


def template_choices() -> list:
    """"Blank note" and the active templates, grouped by note type for the select."""
    groups: dict[str, list] = {}
    for template in selectors.note_templates():
        groups.setdefault(template.get_note_type_display(), []).append((template.key, template.name))
    return [("", "Blank note (no template)"), *groups.items()]


TYPE_NAMES = ", ".join(label for _, label in Note.NoteType.choices)


class NewNoteForm(forms.Form):
    note_type = forms.ChoiceField(
        label="Note type", choices=Note.NoteType.choices, initial=Note.NoteType.PROGRESS,
        widget=forms.Select(attrs={"data-testid": "note-type-select"}),
        error_messages={"invalid_choice": f"Unknown note type “%(value)s”; choose one of {TYPE_NAMES}."},
    )
    template = forms.ChoiceField(
        label="Template", required=False,
        error_messages={"invalid_choice": "Unknown or retired template “%(value)s”; choose one from the list."},
        widget=forms.Select(attrs={"data-testid": "note-template-select"}),
        help_text="Smart phrases in the template (.vitals, .meds …) are filled in from the chart.",
    )
    title = forms.CharField(
        label="Title", required=False, max_length=200,
        widget=forms.TextInput(
            attrs={"data-testid": "note-title", "placeholder": "Defaults to the template or note type"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = template_choices()


class NoteEditForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, required=False,
        widget=forms.TextInput(attrs={"data-testid": "note-title", "autocomplete": "off"}),
    )
    text = forms.CharField(
        label="Note text", required=False, strip=False,
        widget=forms.Textarea(attrs={"data-testid": "note-text", "rows": 26, "spellcheck": "true",
                                     "aria-describedby": "note-editor-help"}),
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", required=False, strip=False,
        widget=forms.Textarea(attrs={"data-testid": "note-addendum-text", "rows": 6}),
    )
