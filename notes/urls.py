from django.urls import path

from notes import views

app_name = "notes"

notes = "patients/<str:mrn>/notes/"
note = notes + "<int:note_id>/"

urlpatterns = [
    path(notes, views.chart_notes, name="chart_notes"),
    path(notes + "new/", views.note_new, name="note_new"),
    path(note, views.note_detail, name="note_detail"),
    path(note + "save/", views.note_save, name="note_save"),
    path(note + "sign/", views.note_sign, name="note_sign"),
    path(note + "addenda/", views.note_addendum, name="note_addendum"),
    path(notes + "smartphrases/<str:name>/", views.smartphrase_expand, name="smartphrase_expand"),
]
