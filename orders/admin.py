"""Admin for the catalog, order sets, orders and alerts.

Orders change only through services: the order admin is read-only, with actions that
call them (enter results for a lab order, mark performed orders done).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse

from orders import lifecycle
from orders.models import Order, Orderable, OrderAlert, OrderSet, OrderSetItem, OrderType


@admin.register(Orderable)
class OrderableAdmin(admin.ModelAdmin):
    list_display = ("name", "order_type", "code", "tty", "code_source", "drug_class", "active")
    list_filter = ("order_type", "code_source", "active")
    search_fields = ("name", "code", "key", "search_text")
    readonly_fields = ("search_text",)


class OrderSetItemInline(admin.TabularInline):
    model = OrderSetItem
    extra = 0
    autocomplete_fields = ("orderable",)


@admin.register(OrderSet)
class OrderSetAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    inlines = [OrderSetItemInline]


class OrderAlertInline(admin.TabularInline):
    model = OrderAlert
    extra = 0
    can_delete = False
    fields = ("rule", "severity", "title", "status", "override_reason", "answered_by", "answered_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "patient", "display", "order_type", "status", "priority", "ordered_by", "signed_at")
    list_filter = ("status", "order_type", "priority")
    search_fields = ("display", "code", "patient__mrn", "patient__family_name")
    list_select_related = ("patient",)
    inlines = [OrderAlertInline]
    actions = ["enter_results", "mark_done"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Enter results for the selected lab order")
    def enter_results(self, request, queryset):
        labs = list(queryset.filter(order_type=OrderType.LAB, status=Order.Status.ACTIVE).select_related("patient")[:2])
        if len(labs) != 1:
            self.message_user(request, "Select exactly one active lab order to result.", messages.WARNING)
            return None
        order = labs[0]
        return redirect(reverse("orders:order_result_entry", kwargs={"mrn": order.patient.mrn, "order_id": order.pk}))

    @admin.action(description="Mark the selected imaging, consult or nursing orders done")
    def mark_done(self, request, queryset):
        done = 0
        for order in queryset.exclude(order_type__in=[OrderType.LAB, OrderType.MEDICATION]):
            try:
                lifecycle.order_complete(order=order, actor=request.user.get_username())
            except ValidationError as error:
                self.message_user(request, f"#{order.pk}: {' '.join(error.messages)}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"Marked {done} order(s) done.")


@admin.register(OrderAlert)
class OrderAlertAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "rule", "severity", "status", "answered_by", "answered_at")
    list_filter = ("rule", "severity", "status")
    search_fields = ("title", "message", "override_reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
