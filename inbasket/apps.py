from django.apps import AppConfig


class InbasketConfig(AppConfig):
    name = "inbasket"
    verbose_name = "In Basket"

    def ready(self) -> None:
        from clinical import lab_results
        from clinical.chart_sections import chart_section_register
        from clinical.signals import population_seeded
        from inbasket.services import notifications_for_results, notifications_seed_recent

        # Every result recorded on the chart (orders.results) arrives in the In Basket.
        if notifications_for_results not in lab_results.RESULT_RECORDED_HOOKS:
            lab_results.RESULT_RECORDED_HOOKS.append(notifications_for_results)
        # The golden database's recent results are the In Basket a chart has at reset.
        population_seeded.connect(notifications_seed_recent, dispatch_uid="inbasket-seed-recent")
        # The patient's In Basket is the chart's last tab.
        chart_section_register(name="inbasket", label="In Basket", url_name="inbasket:chart_inbasket", order=120)
