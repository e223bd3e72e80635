"""The resource types the API serves: one module each, registered here by name."""

from fhirapi.resources import (  # noqa: E402, I001  (each module registers its types on import)
    clinical_lists,
    document_reference,
    medication_request,
    observation,
    patient,
    service_request,
)
from fhirapi.resources.base import ResourceType

REGISTRY: dict[str, ResourceType] = {
    kind.name: kind
    for module in (patient, observation, clinical_lists, medication_request, service_request, document_reference)
    for kind in module.TYPES
}
