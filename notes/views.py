"""The chart's Notes tab: a read-only list of notes and a single note's full text."""

from django.contrib.auth.decorators import login_required
from django.http import Http404

from clinical.views import chart_patient, render_chart
from notes import selectors
from notes.models import Note


@login_required
def chart_notes(request, mrn: str):
    patient = chart_patient(mrn)
    context = {"notes": selectors.notes_for_patient(patient)}
    return render_chart(request, patient, tab="notes", template="notes/chart_notes.html", context=context)


@login_required
def note_detail(request, mrn: str, note_id: int):
    patient = chart_patient(mrn)
    try:
        note = selectors.note_get(patient=patient, note_id=note_id)
    except Note.DoesNotExist:
        raise Http404("No such note for this patient") from None
    return render_chart(request, patient, tab="notes", template="notes/note_detail.html", context={"note": note})
