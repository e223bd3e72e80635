from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    name = "fhirapi"
    verbose_name = "FHIR R4 API"

    def ready(self) -> None:
        from agentenv.protocols import RESET_LINKS
        from fhirapi.urls import episode_base_url

        # The REST reset names the episode's FHIR base, so a FHIR agent needs no URL template.
        RESET_LINKS["fhir_base_url"] = episode_base_url
