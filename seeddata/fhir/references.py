"""Where a reference in a bundle points, and the primary key of what it points at.

Synthea writes `urn:uuid:` fullUrls, and in its default export conditional references
to practitioners and organizations (`Practitioner?identifier=<system>|<NPI>`) that live
in separate directory bundles. A reference is looked up in the bundle first, then in
the database; what is found in neither is a dangling reference (normal in a trimmed
population) and resolves to None.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs

from django.db import models

from clinical.models import Practitioner

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


@dataclass(frozen=True)
class Target:
    resource_type: str
    id: str = ""
    # For a conditional reference to something the bundle does not hold.
    identifier: tuple[str, str] | None = None


def reference_text(reference) -> str:
    if reference is None:
        return ""
    if isinstance(reference, str):
        return reference
    return reference.reference or ""


class BundleIndex:
    """Every address by which a bundle's resources can be referenced."""

    def __init__(self) -> None:
        self._by_address: dict[str, Target] = {}
        self._by_identifier: dict[tuple[str, str, str], str] = {}
        self.raw: dict[Target, dict] = {}

    def add(self, full_url: str, raw: dict) -> None:
        target = Target(raw["resourceType"], raw["id"])
        self.raw[target] = raw
        self._by_address[f"{target.resource_type}/{target.id}"] = target
        if full_url:
            self._by_address[full_url] = target
        identifiers = raw.get("identifier")
        for identifier in identifiers if isinstance(identifiers, list) else []:
            # Raw JSON, not yet checked by fhirclient: an identifier of any other shape cannot be referenced.
            system, value = (identifier.get("system", ""), identifier.get("value")) if isinstance(identifier, dict) \
                else ("", None)
            if isinstance(system, str) and isinstance(value, str) and value:
                self._by_identifier[(target.resource_type, system, value)] = target.id
                self._by_identifier.setdefault((target.resource_type, "", value), target.id)

    def target(self, reference: str) -> Target | None:
        if not reference or reference.startswith("#"):
            return None
        if reference in self._by_address:
            return self._by_address[reference]
        if "?" in reference:
            return self._conditional(reference)
        if reference.startswith("urn:"):
            return None
        parts = reference.rstrip("/").split("/")
        return Target(parts[-2], parts[-1]) if len(parts) >= 2 else None

    def _conditional(self, reference: str) -> Target | None:
        resource_type, query = reference.split("?", 1)
        identifier = (parse_qs(query).get("identifier") or [""])[0]
        if not identifier:
            return None
        system, _, value = identifier.rpartition("|")
        found = self._by_identifier.get((resource_type, system, value))
        if found:
            return Target(resource_type, found)
        return Target(resource_type, identifier=(system, value))


class Resolver:
    """Primary keys of referenced rows: this bundle's first, then the database's."""

    def __init__(self, index: BundleIndex, using: str) -> None:
        self.index = index
        self.using = using
        self._pks: dict[tuple[type[models.Model], str], int | None] = {}

    def remember(self, model: type[models.Model], pks: dict[str, int]) -> None:
        self._pks.update(((model, fhir_id), pk) for fhir_id, pk in pks.items())

    text = staticmethod(reference_text)

    def raw(self, reference) -> dict | None:
        target = self.index.target(reference_text(reference))
        return self.index.raw.get(target) if target else None

    def pk(self, model: type[models.Model], reference) -> int | None:
        target = self.index.target(reference_text(reference))
        if target is None or target.resource_type != model.__name__:
            return None
        if target.identifier:
            return self._by_identifier(model, *target.identifier)
        key = (model, target.id)
        if key not in self._pks:
            self._pks[key] = self._lookup(model, fhir_id=target.id)
        return self._pks[key]

    def is_patient(self, reference, patient_fhir_id: str) -> bool:
        """True when the reference names the given patient (or is absent: the bundle's own)."""
        if not reference_text(reference):
            return True
        target = self.index.target(reference_text(reference))
        return target == Target("Patient", patient_fhir_id)

    def _by_identifier(self, model: type[models.Model], system: str, value: str) -> int | None:
        key = (model, f"{system}|{value}")
        if key not in self._pks:
            # Synthea's organization identifiers carry the organization's id; practitioners are named by NPI.
            if model is Practitioner and system in ("", NPI_SYSTEM):
                self._pks[key] = self._lookup(model, npi=value)
            else:
                self._pks[key] = self._lookup(model, fhir_id=value)
        return self._pks[key]

    def _lookup(self, model: type[models.Model], **match) -> int | None:
        return model.objects.using(self.using).filter(**match).values_list("pk", flat=True).first()
