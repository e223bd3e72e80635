"""Authoring tasks in Django admin: a validated rubric editor, a preview, oracle validation, publishing.

The JSON fields are checked by Task.clean() (the same rules `tasks sync` applies), with
one message per problem under the field, e.g. "criterion 2 (order_placed): unknown field
'dosee'". A task is published only after its oracle has solved sampled instances of it
as it stands now, so an author knows it can be done before agents see it.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from harness import services
from harness.facts import FACTS
from harness.instances import InstanceError, instance_preview
from harness.models import Task
from harness.rubrics import criterion_reference

VALIDATION_INSTANCES = 3
CONTENT_FIELDS = ("title", "tier", "domain", "description", "instruction", "patient_selector", "variants", "facts",
                  "allowed_actions", "step_limit", "rubric", "oracle")


class PrettyJSONWidget(forms.Textarea):
    def __init__(self, rows: int = 12):
        super().__init__(attrs={"rows": rows, "cols": 110, "style": "font-family: monospace; font-size: 12px"})

    def format_value(self, value):
        # JSONField hands the widget a JSON string; indent it so a rubric is editable by eye.
        try:
            return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
        except (TypeError, ValueError):
            return value


def validated_as_is(task: Task) -> bool:
    """The last oracle validation solved every instance, and the task has not changed since."""
    summary = task.validation or {}
    return bool(
        task.validated_at and task.validated_at >= task.updated_at
        and summary.get("instances") and summary.get("solved") == summary.get("instances")
    )


class TaskAdminForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = "__all__"
        widgets = {
            "patient_selector": PrettyJSONWidget(rows=6),
            "variants": PrettyJSONWidget(rows=10),
            "facts": PrettyJSONWidget(rows=6),
            "rubric": PrettyJSONWidget(rows=18),
            "instruction": forms.Textarea(attrs={"rows": 4, "cols": 110}),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") != Task.Status.PUBLISHED:
            return cleaned
        edited = any(name in self.changed_data for name in CONTENT_FIELDS)
        was_published = bool(self.instance.pk) and Task.objects.filter(
            pk=self.instance.pk, status=Task.Status.PUBLISHED
        ).exists()
        if edited or not (was_published or validated_as_is(self.instance)):
            raise ValidationError({"status": "Save it as a draft and run the action \"Validate with the oracle\" "
                                             "first: a task is published once its oracle solves it as it stands."})
        return cleaned


def _reference_html() -> str:
    rows = []
    for entry in criterion_reference():
        fields = format_html_join(", ", "<code>{}</code>{}", (
            (field["name"], "*" if field["required"] else "") for field in entry["fields"]
            if field["name"] not in ("id", "label", "weight", "required")
        ))
        family = "constraint" if entry["constraint"] else "goal"
        rows.append(
            format_html("<li><b>{}</b> ({}): {} — {}</li>", entry["kind"], family, entry["description"], fields)
        )
    facts = format_html_join("", "<li><b>{}</b>: {} — fields {}</li>", (
        (name, kind.description, ", ".join(("answer",) + kind.fields)) for name, kind in sorted(FACTS.items())
    ))
    return format_html(
        "<p>Every criterion takes <code>kind</code>, <code>weight</code> (goals), <code>required</code>, "
        "<code>id</code>, <code>label</code>; * marks required fields. Values may be {{placeholders}}.</p>"
        "<ul>{}</ul><p>Facts (read from the chart at reset):</p><ul>{}</ul>",
        format_html_join("", "{}", ((row,) for row in rows)), facts,
    )


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    form = TaskAdminForm
    list_display = ["task_id", "title", "tier", "domain", "status", "source", "step_limit", "validation_result",
                    "updated_at"]
    list_filter = ["status", "tier", "domain", "source", "allowed_actions"]
    search_fields = ["task_id", "title", "description"]
    readonly_fields = ["instruction_preview", "criterion_reference", "validation_result", "validated_at",
                       "created_at", "updated_at"]
    actions = ["validate_with_oracle", "publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["task_id", "title", "description", "tier", "domain", "status", "source"]}),
        ("What the agent is asked", {"fields": ["instruction", "instruction_preview", "allowed_actions",
                                                "step_limit"]}),
        ("Which patients, with which parameters", {"fields": ["patient_selector", "variants", "facts"]}),
        ("How it is scored", {"fields": ["rubric", "criterion_reference", "oracle"]}),
        ("Validation", {"fields": ["validation_result", "validated_at", "created_at", "updated_at"]}),
    ]

    @admin.display(description="Preview (seed 0, from the golden database)")
    def instruction_preview(self, task: Task):
        if not task.pk:
            return "Save the task to preview it."
        try:
            instance = instance_preview(task=task, seed=0)
        except ValidationError as error:
            return format_html("<span style='color:#b00'>{}</span>", " ".join(error.messages))
        except InstanceError as error:
            return format_html("<span style='color:#b00'>{}</span>", str(error))
        facts = json.dumps(instance.facts, ensure_ascii=False)
        return format_html(
            "<p><b>Patient</b> {} ({}), variant {}</p><p>{}</p><p><b>Facts</b> <code>{}</code></p>",
            instance.params["patient_name"], instance.patient_mrn, instance.variant + 1, instance.instruction, facts,
        )

    @admin.display(description="Criterion reference")
    def criterion_reference(self, task: Task):
        return _reference_html()

    @admin.display(description="Oracle validation")
    def validation_result(self, task: Task):
        summary = task.validation or {}
        if not summary:
            return "not validated"
        stale = " (edited since)" if task.validated_at and task.validated_at < task.updated_at else ""
        return f"solved {summary['solved']}/{summary['instances']}, mean score {summary['mean_score']:.2f}{stale}"

    def save_model(self, request, obj, form, change):
        if not change or any(name in form.changed_data for name in CONTENT_FIELDS):
            obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=f"Validate with the oracle ({VALIDATION_INSTANCES} sampled instances each)")
    def validate_with_oracle(self, request, queryset):
        validated = [
            services.task_validate(task=task, owner=request.user, instances=VALIDATION_INSTANCES)
            for task in queryset.order_by("task_id")
        ]
        context = {**self.admin_site.each_context(request), "title": "Oracle validation", "tasks": validated,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/harness/task/validation.html", context)

    @admin.action(description="Publish (only tasks their oracle solved as they stand)")
    def publish(self, request, queryset):
        ready = [task for task in queryset if validated_as_is(task)]
        skipped = sorted(task.task_id for task in queryset if task not in ready)
        Task.objects.filter(pk__in=[task.pk for task in ready]).update(status=Task.Status.PUBLISHED)
        self.message_user(request, f"Published {len(ready)} task(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, "Not validated as they stand, so not published: " + ", ".join(skipped),
                              messages.WARNING)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        count = queryset.update(status=Task.Status.DRAFT)
        self.message_user(request, f"{count} task(s) back to draft.", messages.SUCCESS)
