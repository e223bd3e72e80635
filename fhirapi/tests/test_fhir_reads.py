"""Every resource type read and searched with fhirclient over an episode's chart (the Synthea population)."""

import base64

from django.db.models import Q
from fhirclient.models.allergyintolerance import AllergyIntolerance
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.condition import Condition
from fhirclient.models.documentreference import DocumentReference
from fhirclient.models.encounter import Encounter
from fhirclient.models.immunization import Immunization
from fhirclient.models.medicationrequest import MedicationRequest
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.models.procedure import Procedure

from agentenv.routing import bind_episode
from clinical import models as chart
from fhirapi.resources import REGISTRY
from notes.models import Note

CHART_LISTS = {  # fhirclient class -> the chart rows of one patient
    Observation: lambda mrn: chart.Observation.objects.filter(patient__mrn=mrn),
    Condition: lambda mrn: chart.Condition.objects.filter(patient__mrn=mrn),
    MedicationRequest: lambda mrn: chart.Medication.objects.filter(patient__mrn=mrn),
    AllergyIntolerance: lambda mrn: chart.Allergy.objects.filter(patient__mrn=mrn),
    Procedure: lambda mrn: chart.Procedure.objects.filter(patient__mrn=mrn),
    Immunization: lambda mrn: chart.Immunization.objects.filter(patient__mrn=mrn),
    Encounter: lambda mrn: chart.Encounter.objects.filter(patient__mrn=mrn),
    DocumentReference: lambda mrn: Note.objects.filter(patient__mrn=mrn),
}


def first_bundle(model, struct, server):
    return next(model.where(struct).perform_iter(server))


def test_every_chart_list_is_searched_by_patient_and_read_by_id(chart_episode):
    base, mrn = chart_episode, chart_episode.mrn
    with bind_episode(base.episode):
        expected = {model: rows(mrn).count() for model, rows in CHART_LISTS.items()}
        synthea_id = chart.Patient.objects.get(mrn=mrn).fhir_id
    assert sum(1 for count in expected.values() if count) >= 7  # the busiest chart has nearly everything
    for model, count in expected.items():
        bundle = first_bundle(model, {"patient": f"Patient/{mrn}", "_count": "3"}, base.server)
        assert bundle.type == "searchset" and bundle.total == count, model.resource_type
        for entry in bundle.entry or []:
            resource = entry.resource
            assert isinstance(resource, model)
            assert entry.fullUrl == f"{base.base_url}{model.resource_type}/{resource.id}"
            again = model.read(resource.id, base.server)
            assert again.as_json() == resource.as_json()
        # The bare id and the Synthea id name the same patient.
        assert first_bundle(model, {"patient": mrn, "_count": "0"}, base.server).total == count
        assert first_bundle(model, {"patient": synthea_id, "_count": "0"}, base.server).total == count


def test_the_patient_is_read_by_mrn_with_the_mrn_as_identifier(chart_episode):
    patient = Patient.read(chart_episode.mrn, chart_episode.server)
    mrn = next(i for i in patient.identifier if i.type and i.type.coding[0].code == "MR")
    assert patient.id == mrn.value == chart_episode.mrn


def test_patients_are_searched_by_name_birth_date_identifier_gender_and_id(chart_episode):
    server = chart_episode.server
    with bind_episode(chart_episode.episode):
        who = chart.Patient.objects.get(mrn=chart_episode.mrn)
        everyone = chart.Patient.objects.all()
        expected = {
            "family": everyone.filter(family_name__istartswith=who.family_name).count(),
            "given": everyone.filter(given_name__istartswith=who.given_name[:3]).count(),
            "gender": everyone.filter(sex=who.sex).count(),
            "birthdate": everyone.filter(birth_date=who.birth_date).count(),
            "born_before": everyone.filter(birth_date__lt=who.birth_date).count(),
            "name": everyone.filter(Q(given_name__istartswith=who.given_name) | Q(family_name__istartswith=
                                    who.given_name) | Q(prefix__istartswith=who.given_name)).count(),
        }
    searches = {
        "family": {"family": who.family_name},
        "given": {"given": who.given_name[:3].lower()},
        "gender": {"gender": who.sex},
        "birthdate": {"birthdate": who.birth_date.isoformat()},
        "born_before": {"birthdate": f"lt{who.birth_date.isoformat()}"},
        "name": {"name": who.given_name},
    }
    for label, struct in searches.items():
        found = list(Patient.where({**struct, "_count": "500"}).perform_resources_iter(server))
        assert len(found) == expected[label], label
        assert (who.mrn in {p.id for p in found}) == (label != "born_before"), label
    both = list(Patient.where({"name": f"{who.given_name} {who.family_name}", "birthdate": who.birth_date.isoformat()})
                .perform_resources_iter(server))
    assert [p.id for p in both] == [who.mrn]
    for struct in ({"identifier": who.mrn}, {"identifier": f"http://ehrgym.dev/fhir/sid/mrn|{who.mrn}"},
                   {"identifier": f"https://github.com/synthetichealth/synthea|{who.fhir_id}"}, {"_id": who.mrn}):
        assert [p.id for p in Patient.where(struct).perform_resources_iter(server)] == [who.mrn], struct
    assert list(Patient.where({"identifier": f"http://example.org|{who.mrn}"}).perform_resources_iter(server)) == []


def test_the_capability_statement_lists_exactly_what_is_served(chart_episode):
    statement = CapabilityStatement.read_from("metadata", chart_episode.server)
    assert statement.fhirVersion == "4.0.1" and statement.rest[0].mode == "server"
    served = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(served) == set(REGISTRY) == {
        "Patient", "Observation", "Condition", "MedicationRequest", "AllergyIntolerance", "Procedure",
        "Immunization", "Encounter", "ServiceRequest", "DocumentReference"}
    for name, kind in REGISTRY.items():
        params = {param.name for param in served[name].searchParam}
        assert set(kind.parameters) <= params and params - set(kind.parameters) <= {"_count", "_offset", "_sort"}
        creates = "create" in {i.code for i in served[name].interaction}
        assert creates == (name in {"Observation", "MedicationRequest", "ServiceRequest"}), name
    assert "override-reason" in statement.rest[0].documentation


def test_a_note_is_a_document_reference_with_its_text_base64(chart_episode):
    with bind_episode(chart_episode.episode):
        note = Note.objects.filter(patient__mrn=chart_episode.mrn).exclude(text="").first()
    assert note is not None
    document = DocumentReference.read(note.fhir_id or f"note-{note.pk}", chart_episode.server)
    attachment = document.content[0].attachment
    assert attachment.contentType.startswith("text/plain")
    assert base64.b64decode(attachment.data).decode() == note.text
