"""Patient: id is the MRN; identifiers are the MRN and Synthea's id."""

from django.db.models import Q
from fhirclient.models.patient import Patient as FHIRPatient

from clinical.models import Patient
from fhirapi.resources.base import ResourceType, compact, instant, text_parameter
from fhirapi.search import Parameter, day_match, plain_token, token

MRN_SYSTEM = "http://ehrgym.dev/fhir/sid/mrn"
SYNTHEA_SYSTEM = "https://github.com/synthetichealth/synthea"
MR_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR",
                       "display": "Medical record number"}], "text": "MRN"}


def rows():
    return Patient.objects.select_related("pcp").all()


def get(ident: str) -> Patient:
    return rows().get(Q(mrn=ident) | Q(fhir_id=ident))


def serialise(patient: Patient) -> dict:
    address = compact({"line": [patient.address_line] if patient.address_line else [], "city": patient.city,
                       "state": patient.state, "postalCode": patient.postal_code})
    return compact({
        "resourceType": "Patient",
        "id": patient.mrn,
        "identifier": [
            {"use": "usual", "type": MR_TYPE, "system": MRN_SYSTEM, "value": patient.mrn},
            {"use": "secondary", "system": SYNTHEA_SYSTEM, "value": patient.fhir_id},
        ],
        "name": [compact({"use": "official", "family": patient.family_name, "given": [patient.given_name],
                          "prefix": [patient.prefix] if patient.prefix else []})],
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
        "deceasedDateTime": instant(patient.deceased_at),
        "telecom": [{"system": "phone", "value": patient.phone, "use": "home"}] if patient.phone else [],
        "address": [address] if address else [],
        "communication": [{"language": {"text": patient.language}}] if patient.language else [],
        "generalPractitioner": [{"display": patient.pcp.display_name}] if patient.pcp else [],
    })


def _identifier(value: str) -> Q:
    system, code = token(value)
    if code is None:
        return Q(pk__in=[])
    if system in (None, ""):
        return Q(mrn=code) | Q(fhir_id=code)
    return {MRN_SYSTEM: Q(mrn=code), SYNTHEA_SYSTEM: Q(fhir_id=code)}.get(system, Q(pk__in=[]))


TYPES = [ResourceType(
    name="Patient",
    model=FHIRPatient,
    rows=rows,
    serialise=serialise,
    get=get,
    parameters={
        "_id": Parameter("token", "The MRN (the Patient's id); the Synthea id also works.",
                         lambda value: Q(mrn=value) | Q(fhir_id=value)),
        "identifier": Parameter("token", f"The MRN ({MRN_SYSTEM}|<mrn>) or the Synthea id ({SYNTHEA_SYSTEM}|<id>); "
                                         "without a system, either.", _identifier),
        "name": text_parameter("given_name", "family_name", "prefix"),
        "family": text_parameter("family_name"),
        "given": text_parameter("given_name"),
        "birthdate": Parameter("date", "Birth date, with the prefixes eq, ne, gt, lt, ge, le.",
                               day_match("birth_date")),
        "gender": Parameter("token", "male | female | other | unknown.", plain_token("sex")),
    },
    ordering=("family_name", "given_name", "id"),
    documentation="The patients. id = MRN; identifier carries the MRN and the Synthea id.",
)]
