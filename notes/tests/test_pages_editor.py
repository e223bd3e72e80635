"""Writing notes in the browser: new note, editor, smart phrases, autosave, sign, addenda.

Mistakes (someone else's draft, a signed note, an empty note, an unknown type) give
the page back with a clear message and a 4xx status, change nothing, and keep what was
typed.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from clinical.models import AuditEvent
from clinical.tests.factories import ALICE_MRN
from notes.models import Note

pytestmark = pytest.mark.django_db


def url(name, note=None):
    return reverse(f"notes:{name}", args=[ALICE_MRN] + ([note.pk] if note else []))


def row(note):
    return Note.objects.get(pk=note.pk)


# --- new note -------------------------------------------------------------------------


def test_it_offers_note_types_and_templates_grouped_by_type(client_dana, alice, templates):
    html = client_dana.get(url("note_new")).content.decode()
    for testid in ("note-type-select", "note-template-select", "note-title", "note-create"):
        assert f'data-testid="{testid}"' in html
    assert '<optgroup label="Progress Note">' in html and '<option value="soap-progress">' in html
    assert "Blank note (no template)</option>" in html


def test_it_creates_a_draft_from_a_template_and_opens_the_editor(client_dana, alice, templates):
    response = client_dana.post(url("note_new"), {"note_type": "progress", "template": "soap-progress", "title": ""})
    note = Note.objects.get(template_key="soap-progress")
    assert response.status_code == 302 and response.url == url("note_detail", note)
    assert (note.author, note.author_name, note.status) == ("drsmith", "Dana Smith", "draft")
    html = client_dana.get(response.url).content.decode()
    assert 'data-testid="note-text"' in html and "BP 147/87 mmHg (H)" in html and "SUBJECTIVE:" in html


def test_it_refuses_an_unknown_note_type_clearly(client_dana, alice):
    count = Note.objects.count()
    response = client_dana.post(url("note_new"), {"note_type": "consult", "template": ""})
    assert response.status_code == 400
    assert "Unknown note type “consult”; choose one of Progress Note, History and Physical" in response.content.decode()
    assert Note.objects.count() == count


def test_it_refuses_a_template_of_another_type_clearly(client_dana, alice, templates):
    count = Note.objects.count()
    response = client_dana.post(url("note_new"), {"note_type": "progress", "template": "procedure-note"})
    assert response.status_code == 400
    assert "Template &#x27;Procedure Note&#x27; is for Procedure Note notes" in response.content.decode()
    assert Note.objects.count() == count


# --- editor ---------------------------------------------------------------------------


def test_it_opens_the_authors_draft_in_the_editor(client_dana, alice_draft):
    html = client_dana.get(url("note_detail", alice_draft)).content.decode()
    for testid in ("note-title", "note-text", "note-expand", "note-save", "note-sign", "note-autosave-status",
                   "smartphrase-vitals", "smartphrase-labs", "smartphrase-meds", "smartphrase-allergies",
                   "smartphrase-problems", "smartphrase-name", "smartphrase-age", "smartphrase-mrn", "smartphrase-dob"):
        assert f'data-testid="{testid}"' in html
    assert "Draft: called patient about potassium.</textarea>" in html


def test_it_saves_a_draft_expanding_smart_phrases(client_dana, alice_draft):
    data = {"title": "K call", "text": "Vitals: .vitals"}
    response = client_dana.post(url("note_save", alice_draft), data, follow=True)
    saved = row(alice_draft)
    assert saved.title == "K call" and saved.text.startswith("Vitals: Vitals (") and "BP 147/87 mmHg (H)" in saved.text
    html = response.content.decode()
    assert "Draft saved at" in html and "Expanded .vitals from the chart." in html


def test_it_keeps_unknown_phrases_and_lists_the_known_ones(client_dana, alice_draft):
    html = client_dana.post(url("note_save", alice_draft), {"title": "K call", "text": "See .plan"},
                            follow=True).content.decode()
    assert row(alice_draft).text == "See .plan"
    assert "Unknown smart phrase .plan left as typed. Known smart phrases: .vitals, .labs, .meds" in html


def test_a_picker_button_inserts_the_expanded_phrase(client_dana, alice_draft):
    client_dana.post(url("note_save", alice_draft), {"title": "K call", "text": "Allergies:", "insert": "allergies"})
    allergies = "Peanut (substance) (Hives, moderate); Penicillin V (Anaphylaxis, severe)"
    assert row(alice_draft).text == f"Allergies:\n{allergies}\n"


def test_the_picker_reads_one_phrase_expanded_for_the_patient(client_dana, alice):
    response = client_dana.get(reverse("notes:smartphrase_expand", args=[ALICE_MRN, "mrn"]))
    assert response.json() == {"phrase": ".mrn", "text": "E1001"}
    unknown = client_dana.get(reverse("notes:smartphrase_expand", args=[ALICE_MRN, "plan"]))
    assert unknown.status_code == 404
    assert unknown.json()["error"].startswith("Unknown smart phrase .plan left as typed.")


def test_it_autosaves_text_as_typed_and_answers_in_json(client_dana, alice_draft):
    response = client_dana.post(url("note_save", alice_draft), {"title": "", "text": "Typing .vit", "autosave": "1"})
    assert response.status_code == 200 and response.json()["saved"] is True
    assert response.json()["message"].startswith("Draft saved ")
    assert (row(alice_draft).title, row(alice_draft).text) == ("Telephone follow-up", "Typing .vit")


def test_autosave_of_a_signed_note_is_refused_in_json(client_dana, alice_signed):
    response = client_dana.post(url("note_save", alice_signed), {"title": "x", "text": "x", "autosave": "1"})
    assert response.status_code == 409 and "can no longer be changed" in response.json()["error"]
    assert row(alice_signed).text.startswith("S: Feels well.")


def test_autosave_of_someone_elses_draft_is_refused_in_json(client_lee, alice_draft):
    response = client_lee.post(url("note_save", alice_draft), {"title": "x", "text": "x", "autosave": "1"})
    assert response.status_code == 403 and "Only the author" in response.json()["error"]
    assert row(alice_draft).text == "Draft: called patient about potassium."


def test_saving_a_blank_title_keeps_the_typed_text_on_the_page(client_dana, alice_draft):
    response = client_dana.post(url("note_save", alice_draft), {"title": "", "text": "Unsaved words"})
    html = response.content.decode()
    assert response.status_code == 400 and "A note needs a title." in html and "Unsaved words</textarea>" in html
    assert row(alice_draft).text == "Draft: called patient about potassium."


# --- sign -----------------------------------------------------------------------------


def test_it_signs_the_draft_and_shows_it_signed_and_locked(client_dana, alice_draft):
    response = client_dana.post(url("note_sign", alice_draft), {"title": "K call", "text": "K 3.1. MRN .mrn"},
                                follow=True)
    signed = row(alice_draft)
    assert (signed.status, signed.text, signed.title) == ("signed", "K 3.1. MRN E1001", "K call")
    html = response.content.decode()
    assert "Note signed by Dana Smith, MD." in html and 'data-testid="note-signature"' in html
    assert 'data-testid="note-locked"' in html and 'data-testid="note-save"' not in html


def test_it_refuses_to_sign_an_empty_note(client_dana, alice_draft):
    response = client_dana.post(url("note_sign", alice_draft), {"title": "K call", "text": "  "})
    assert response.status_code == 400 and "A note cannot be signed without text." in response.content.decode()
    assert (row(alice_draft).status, row(alice_draft).text) == ("draft", "Draft: called patient about potassium.")


def test_it_refuses_to_sign_someone_elses_draft_with_403(client_lee, alice_draft):
    response = client_lee.post(url("note_sign", alice_draft), {"title": "Mine", "text": "Signed by Lee"})
    html = response.content.decode()
    assert response.status_code == 403 and "Only the author of this draft (Dana Smith, MD) can edit or sign it." in html
    assert (row(alice_draft).status, row(alice_draft).text) == ("draft", "Draft: called patient about potassium.")
    assert not AuditEvent.objects.exists()


def test_editing_a_signed_note_is_refused_and_the_text_moves_to_the_addendum_box(client_dana, alice_signed):
    before = row(alice_signed).text
    response = client_dana.post(url("note_save", alice_signed), {"title": "x", "text": "Late correction"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "can no longer be changed; add an addendum instead. Your unsaved text is in the addendum box below." in html
    assert "Late correction</textarea>" in html and row(alice_signed).text == before


def test_only_text_added_after_signing_moves_to_the_addendum_box(client_dana, alice_draft):
    open_editor_text = row(alice_draft).text
    client_dana.post(url("note_sign", alice_draft), {"title": "K call", "text": open_editor_text})
    html = client_dana.post(url("note_save", alice_draft),
                            {"title": "K call", "text": open_editor_text + "\nK recheck ordered."}).content.decode()
    assert ">\nK recheck ordered.</textarea>" in html


# --- addenda --------------------------------------------------------------------------


def test_it_adds_an_addendum_to_a_signed_note(client_lee, alice_signed):
    response = client_lee.post(url("note_addendum", alice_signed), {"text": "Agree with plan."})
    assert response.status_code == 302 and response.url.endswith("#addenda")
    addendum = alice_signed.addenda.get()
    assert (addendum.text, addendum.author, addendum.author_name) == ("Agree with plan.", "drjones", "Lee Jones")
    assert "Addendum signed and added to the note." in client_lee.get(response.url).content.decode()


def test_it_refuses_an_empty_addendum(client_lee, alice_signed):
    response = client_lee.post(url("note_addendum", alice_signed), {"text": ""})
    assert response.status_code == 400 and "An addendum needs text." in response.content.decode()
    assert not alice_signed.addenda.exists()


def test_it_refuses_an_addendum_to_a_draft(client_dana, alice_draft):
    response = client_dana.post(url("note_addendum", alice_draft), {"text": "More"})
    assert response.status_code == 400 and "Only a signed note can have addenda" in response.content.decode()


def test_the_write_endpoints_only_accept_post(client_dana, alice_draft):
    for name in ("note_save", "note_sign", "note_addendum"):
        assert client_dana.get(url(name, alice_draft)).status_code == 405


# --- accessibility --------------------------------------------------------------------


class Controls(HTMLParser):
    """Interactive elements inside <main>, with their test id and accessible name."""

    INTERACTIVE = {"a", "button", "input", "select", "textarea"}

    def __init__(self):
        super().__init__()
        self.in_main, self.labels, self.controls, self.open = False, set(), [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.in_main = True
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        hidden = attrs.get("type") == "hidden" or attrs.get("aria-hidden") == "true"
        if self.in_main and tag in self.INTERACTIVE and not hidden:
            self.open = {"tag": tag, **attrs, "text": ""}
            self.controls.append(self.open)

    def handle_data(self, data):
        if self.open is not None:
            self.open["text"] += data

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False
        if self.open is not None and tag == self.open["tag"]:
            self.open = None


def unnamed_controls(html: str) -> list:
    parser = Controls()
    parser.feed(html)
    return [
        c for c in parser.controls
        if not c.get("data-testid") or not (c["text"].strip() or c.get("aria-label") or c.get("id") in parser.labels)
    ]


@pytest.mark.parametrize("page", ["list", "new", "editor", "signed"])
def test_it_gives_every_control_a_test_id_and_an_accessible_name(client_dana, alice_draft, alice_signed, templates,
                                                                   page):
    target = {"list": url("chart_notes"), "new": url("note_new"), "editor": url("note_detail", alice_draft),
              "signed": url("note_detail", alice_signed)}[page]
    html = client_dana.get(target).content.decode()
    assert unnamed_controls(html) == []
    assert html.count("<h1") == 1 and "<main" in html
