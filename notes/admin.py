"""Admin: note templates are authored here; notes themselves are read-only.

Notes change only through notes.services (drafts by their author, signing, addenda),
so that every change is validated and audited; the admin only shows them.
"""

from django.contrib import admin

from notes.models import Note, NoteTemplate
from notes.smartphrases import known_list


@admin.register(NoteTemplate)
class NoteTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "note_type", "active", "sort_order")
    list_filter = ("note_type", "active")
    list_editable = ("active", "sort_order")
    search_fields = ("name", "key", "description", "body")
    prepopulated_fields = {"key": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "key", "note_type", "description", "active", "sort_order")}),
        ("Text", {
            "fields": ("body",),
            "description": f"Smart phrases expanded when a note is created: {known_list()}.",
        }),
    )


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("title", "patient", "note_type", "status", "author_name", "created_at", "signed_at")
    list_filter = ("note_type", "status")
    search_fields = ("title", "author", "author_name", "patient__mrn", "patient__family_name")
    date_hierarchy = "created_at"
    list_select_related = ("patient",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
