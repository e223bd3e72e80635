from django.apps import AppConfig


class SeeddataConfig(AppConfig):
    """The seed data: FHIR import, the synthetic population, its scenario overlay, the golden database, the demo."""

    name = "seeddata"

    def ready(self) -> None:
        from seeddata.fhir.notes import register

        register()
