from django.contrib import admin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from agentenv.models import ApiToken, DatabaseCopy, Episode, Step

# DRF's token admin lists every token in full; this one shows their first characters.
admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    list_display = ["token", "user", "created"]

    @admin.display(description="token")
    def token(self, token: ApiToken) -> str:
        return f"{token.key[:6]}…"


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["index", "action", "reward", "error", "terminated", "truncated", "duration_ms"]
    readonly_fields = fields
    can_delete = False


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "patient_mrn", "step_count", "step_limit", "cumulative_reward",
                    "from_pool", "created_at", "released_at"]
    list_filter = ["status", "from_pool"]
    search_fields = ["id", "patient_mrn", "owner__username"]
    readonly_fields = [field.name for field in Episode._meta.fields]
    inlines = [StepInline]


@admin.register(DatabaseCopy)
class DatabaseCopyAdmin(admin.ModelAdmin):
    list_display = ["alias", "status", "vendor", "source", "created_at"]
    readonly_fields = ["alias", "name", "vendor", "source", "status", "created_at"]
