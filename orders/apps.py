from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from clinical import services as clinical_services
        from clinical.chart_sections import chart_section_register
        from orders.lifecycle import medication_owning_order

        # The medication-list entry a signed order started stops with its order, not from the list.
        if medication_owning_order not in clinical_services.MEDICATION_STOP_GUARDS:
            clinical_services.MEDICATION_STOP_GUARDS.append(medication_owning_order)

        # The Orders tab sits between Vitals and Encounters.
        chart_section_register(name="orders", label="Orders", url_name="orders:chart_orders", order=70)

        from clinical.visit import VisitPart, visit_part_register
        from orders.selectors import orders_in_visit

        visit_part_register(VisitPart(name="orders", label="Orders", order=30, items=orders_in_visit,
                                      empty="No orders placed in this visit",
                                      action_label="Place orders", action_url_name="orders:chart_orders"))
