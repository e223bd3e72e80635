"""The chart's Notes activity: list, new note, editor, signed view with addenda.

Views parse the request, call notes.services / notes.selectors and render. Mistakes a
user can make (someone else's draft, a signed note, an empty note) come back as the
page with a clear message and a 4xx status, never a 500, and never lose typed text.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinical.views import chart_patient, render_chart
from notes import selectors, services, smartphrases
from notes.forms import AddendumForm, NewNoteForm, NoteEditForm, NoteFilterForm
from notes.models import Note

# --- helpers --------------------------------------------------------------------------


def _patient_note(mrn: str, note_id: int):
    patient = chart_patient(mrn)
    try:
        return patient, selectors.note_get(patient=patient, note_id=note_id)
    except Note.DoesNotExist:
        raise Http404("No such note for this patient") from None


def _author_name(user) -> str:
    return selectors.clinician_display_name(user.get_username(), fallback=user.get_full_name())


def _status_for(error: ValidationError) -> int:
    """409 when the note was already signed (a conflict with its state), else 400."""
    codes = [e.code for errors in getattr(error, "error_dict", {}).values() for e in errors]
    return 409 if services.NOTE_SIGNED in codes else 400


def _messages_of(error: ValidationError) -> list[str]:
    return [message for messages_ in error.message_dict.values() for message in messages_]


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's field errors on the form field of that name, others on the form."""
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _report(request, done: str, text: str | None) -> None:
    """One success message saying what was done and which smart phrases were expanded,
    and a warning naming phrases that were not known (they stay in the text as typed)."""
    found = smartphrases.scan(text or "")
    if found.known:
        done += f" Expanded {', '.join('.' + name for name in found.known)} from the chart."
    messages.success(request, done)
    if found.unknown:
        messages.warning(request, smartphrases.unknown_message(found.unknown))


def _edit_form_for(note: Note) -> NoteEditForm:
    return NoteEditForm(initial={"title": note.title, "text": note.text})


def _render_note(request, patient, note: Note, *, status: int = 200, error: str = "", edit_form=None,
                 addendum_form=None):
    editable = not note.is_signed and note.author == request.user.get_username()
    context = {
        "note": note,
        "editable": editable,
        "edit_form": edit_form or (_edit_form_for(note) if editable else None),
        "addenda": selectors.note_addenda(note) if not note.is_addendum else [],
        "addendum_form": addendum_form or AddendumForm(),
        "can_addend": note.is_signed and not note.is_addendum,
        "smart_phrases": smartphrases.SMART_PHRASES.values(),
        "error": error,
    }
    response = render_chart(request, patient, tab="notes", template="notes/note_detail.html", context=context)
    response.status_code = status
    return response


def _note_url(patient, note: Note, anchor: str = "") -> str:
    return reverse("notes:note_detail", args=[patient.mrn, note.pk]) + anchor


# --- list and new note ----------------------------------------------------------------


@login_required
def chart_notes(request, mrn: str):
    patient = chart_patient(mrn)
    form = NoteFilterForm(request.GET)
    filters = form.valid_filters()
    warnings = [
        f"{form.fields[name].label}: {' '.join(errors)} The filter was ignored." for name, errors in form.errors.items()
    ]
    notes = selectors.notes_for_patient(patient, note_type=filters.get("type", ""), status=filters.get("status", ""))
    context = {"notes": notes, "filter_form": form, "filtered": bool(filters), "warnings": warnings}
    return render_chart(request, patient, tab="notes", template="notes/chart_notes.html", context=context)


@login_required
def note_new(request, mrn: str):
    patient = chart_patient(mrn)
    if request.method != "POST":
        return _render_new(request, patient, NewNoteForm())
    form = NewNoteForm(request.POST)
    if not form.is_valid():
        return _render_new(request, patient, form, status=400)
    try:
        note = services.note_create(
            patient=patient,
            note_type=form.cleaned_data["note_type"],
            template_key=form.cleaned_data["template"],
            title=form.cleaned_data["title"],
            author=request.user.get_username(),
            author_name=_author_name(request.user),
        )
    except ValidationError as error:
        _add_errors(form, error)
        return _render_new(request, patient, form, status=400)
    messages.success(request, f"Draft “{note.title}” created. It is saved automatically as you type.")
    return redirect(_note_url(patient, note))


def _render_new(request, patient, form: NewNoteForm, *, status: int = 200):
    context = {"form": form, "templates": selectors.note_templates()}
    response = render_chart(request, patient, tab="notes", template="notes/note_new.html", context=context)
    response.status_code = status
    return response


# --- one note -------------------------------------------------------------------------


@login_required
def note_detail(request, mrn: str, note_id: int):
    patient, note = _patient_note(mrn, note_id)
    return _render_note(request, patient, note)


def _posted_edit(request) -> tuple[NoteEditForm, str | None, str | None]:
    """The editor form, and the title and text to save (None: a field not sent, kept as is)."""
    form = NoteEditForm(request.POST)
    form.is_valid()
    title = form.cleaned_data.get("title", "") if "title" in request.POST else None
    text = form.cleaned_data.get("text", "") if "text" in request.POST else None
    return form, title, text


@login_required
@require_POST
def note_save(request, mrn: str, note_id: int):
    patient, note = _patient_note(mrn, note_id)
    form, title, text = _posted_edit(request)
    if request.POST.get("autosave"):
        return _autosave(request, note, title, text)
    phrase = request.POST.get("insert", "").lower()
    if phrase in smartphrases.SMART_PHRASES:  # a picker button without JavaScript: append at the end
        text = (text if text is not None else note.text).rstrip()
        text = f"{text}\n.{phrase}\n" if text else f".{phrase}\n"
    try:
        services.note_edit(note=note, actor=request.user.get_username(), title=title, text=text)
    except PermissionDenied as denied:
        return _render_note(request, patient, note, status=403, error=str(denied))
    except ValidationError as error:
        return _refused_edit(request, patient, note, error, form, text)
    _report(request, f"Draft saved at {timezone.localtime():%H:%M:%S}.", text)
    return redirect(_note_url(patient, note))


def _unsaved_part(typed: str | None, signed: str) -> str:
    """What was typed beyond the signed text: only the new lines when the writer kept
    adding to the end (the usual case), else everything typed."""
    typed = (typed or "").strip()
    if typed.startswith(signed.strip()):
        return typed[len(signed.strip()):].strip()
    return typed


def _refused_edit(request, patient, note: Note, error: ValidationError, form: NoteEditForm, text: str | None):
    """Back to the note with the reason, keeping what was typed: in the editor, or - if
    the note was signed meanwhile - in the addendum box, so nothing typed is lost."""
    note.refresh_from_db()
    if note.is_signed:
        addendum_form = AddendumForm(initial={"text": kept}) if (kept := _unsaved_part(text, note.text)) else None
        reason = " ".join(_messages_of(error))
        if addendum_form:
            reason += " Your unsaved text is in the addendum box below."
        return _render_note(request, patient, note, status=_status_for(error), error=reason,
                            addendum_form=addendum_form)
    _add_errors(form, error)
    return _render_note(request, patient, note, status=_status_for(error), edit_form=form)


def _autosave(request, note: Note, title: str | None, text: str | None) -> JsonResponse:
    """The editor's background save: text exactly as typed, answered in JSON."""
    try:
        services.note_edit(
            note=note, actor=request.user.get_username(), title=title or None, text=text, expand=False
        )
    except PermissionDenied as denied:
        return JsonResponse({"saved": False, "error": str(denied)}, status=403)
    except ValidationError as error:
        return JsonResponse({"saved": False, "error": " ".join(_messages_of(error))}, status=_status_for(error))
    saved_at = timezone.localtime(note.updated_at)
    return JsonResponse(
        {"saved": True, "updated_at": saved_at.isoformat(), "message": f"Draft saved {saved_at:%H:%M:%S}"}
    )


@login_required
@require_POST
def note_sign(request, mrn: str, note_id: int):
    patient, note = _patient_note(mrn, note_id)
    form, title, text = _posted_edit(request)
    try:
        services.note_sign(note=note, actor=request.user.get_username(), title=title, text=text)
    except PermissionDenied as denied:
        return _render_note(request, patient, note, status=403, error=str(denied))
    except ValidationError as error:
        return _refused_edit(request, patient, note, error, form, text)
    _report(request, f"Note signed by {note.author_display}. It can no longer be edited; use an addendum.", text)
    return redirect(_note_url(patient, note))


@login_required
def smartphrase_expand(request, mrn: str, name: str):
    """One smart phrase expanded for this patient, for the editor's picker to insert at the
    cursor. Reading only: the text enters the note when the note is next saved."""
    patient = chart_patient(mrn)
    phrase = smartphrases.SMART_PHRASES.get(name.lower())
    if phrase is None:
        return JsonResponse({"error": smartphrases.unknown_message((f".{name}",))}, status=404)
    return JsonResponse({"phrase": phrase.token, "text": phrase.render(patient)})


@login_required
@require_POST
def note_addendum(request, mrn: str, note_id: int):
    patient, note = _patient_note(mrn, note_id)
    form = AddendumForm(request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text", "")
    try:
        services.note_addendum_add(
            note=note, actor=request.user.get_username(), author_name=_author_name(request.user), text=text
        )
    except ValidationError as error:
        _add_errors(form, error)
        return _render_note(request, patient, note, status=_status_for(error), addendum_form=form,
                            error=" ".join(_messages_of(error)))
    _report(request, "Addendum signed and added to the note.", text)
    return redirect(_note_url(patient, note, "#addenda"))
