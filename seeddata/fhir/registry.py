"""What plugs into the importer besides the chart's own types, and what a handler is given.

Resource types of the apps built on the chart register a handler here (notes' DocumentReference,
seeddata/fhir/notes.py, from SeeddataConfig.ready()). Registered handlers run after the chart's
own resources are written, so they can point at the bundle's patient, encounters and practitioners.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fhirclient.models.fhirabstractresource import FHIRAbstractResource

if TYPE_CHECKING:
    from django.db import models

    from clinical.models import Patient
    from seeddata.fhir.references import Resolver
    from seeddata.fhir.results import ImportResult


class FhirImportError(ValueError):
    """A bundle or file that cannot be imported; the message says why, in one line."""


class Skip(Exception):
    """Raised while building a row: the resource is left out, and the reason counted."""


@dataclass
class ImportContext:
    using: str
    source: str
    result: "ImportResult"
    resolver: "Resolver"
    patient: "Patient | None" = None
    # Resource id -> primary keys of its Observation rows (one per component).
    observation_rows: dict[str, list[int]] = field(default_factory=dict)

    def pk(self, model: "type[models.Model]", reference) -> int | None:
        return self.resolver.pk(model, reference)

    def require_own_subject(self, resource: FHIRAbstractResource, reference) -> None:
        """A resource about another patient would leak into this chart: refuse the bundle."""
        if not self.resolver.is_patient(reference, self.patient.fhir_id):
            raise FhirImportError(
                f"{resource.resource_type}/{resource.id} refers to a patient outside this bundle"
                f" ({self.resolver.text(reference)})"
            )

    def is_adult_on(self, when) -> bool:
        return self.patient.age_on(when.date()) >= 18


Handler = Callable[[list[FHIRAbstractResource], ImportContext], None]


@dataclass(frozen=True)
class Registration:
    resource_class: type[FHIRAbstractResource]
    handler: Handler


_registry: dict[str, Registration] = {}


def register_handler(resource_class: type[FHIRAbstractResource], handler: Handler) -> None:
    """Import resources of `resource_class` with `handler` (for types the chart does not import itself)."""
    _registry[resource_class.resource_type] = Registration(resource_class, handler)


def registered_handlers() -> dict[str, Registration]:
    return dict(_registry)
