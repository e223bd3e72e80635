"""Chart entries by hand: stopping a medication from the Medications tab, recording a vaccine
on the Immunizations tab. The same services as the agent's actions; mistakes come back as
the page with a clear message, never a 500."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from clinical.models import AuditEvent, Immunization, Medication
from clinical.tests.factories import ALICE_MRN, BOB_MRN

pytestmark = pytest.mark.django_db

LISINOPRIL = "314076"


def medications_url(mrn: str = ALICE_MRN) -> str:
    return reverse("clinical:chart_medications", args=[mrn])


def immunizations_url(mrn: str = ALICE_MRN) -> str:
    return reverse("clinical:chart_immunizations", args=[mrn])


def lisinopril(patient) -> Medication:
    return patient.medications.get(rxnorm=LISINOPRIL)


def test_it_offers_a_discontinue_form_on_each_active_medication_only(client_in, alice):
    html = client_in.get(medications_url()).content.decode()
    active, past = html.split('data-testid="medications-past"')

    assert f'data-testid="medication-discontinue-{LISINOPRIL}"' in active
    assert f'data-testid="medication-discontinue-reason-{LISINOPRIL}"' in active
    assert 'aria-label="Discontinue lisinopril 10 MG Oral Tablet"' in active
    assert "medication-discontinue-" not in past  # the completed amoxicillin course


def test_it_discontinues_a_medication_with_the_reason_and_shows_it_as_past(client_in, alice):
    url = reverse("clinical:medication_discontinue", args=[ALICE_MRN, lisinopril(alice).pk])

    response = client_in.post(url, {"reason": "Dry cough on ACE inhibitor"}, follow=True)

    assert response.redirect_chain == [(medications_url(), 302)]
    html = response.content.decode()
    assert 'data-testid="flash-success"' in html and "Discontinued lisinopril 10 MG Oral Tablet." in html
    active, past = html.split('data-testid="medications-past"')
    assert LISINOPRIL not in active and LISINOPRIL in past
    assert f"{timezone.localdate():%m/%d/%Y}: Dry cough on ACE inhibitor" in past
    stopped = lisinopril(alice)
    assert (stopped.status, stopped.end_reason) == ("stopped", "Dry cough on ACE inhibitor")
    event = AuditEvent.objects.get(action="medication.discontinue")
    assert (event.actor, event.details["reason"]) == ("drsmith", "Dry cough on ACE inhibitor")


def test_it_says_why_it_cannot_discontinue_and_changes_nothing(client_in, alice):
    url = reverse("clinical:medication_discontinue", args=[ALICE_MRN, lisinopril(alice).pk])

    no_reason = unescape(client_in.post(url, {"reason": "  "}, follow=True).content.decode())
    client_in.post(url, {"reason": "Dry cough"})
    twice = unescape(client_in.post(url, {"reason": "Dry cough"}, follow=True).content.decode())

    assert 'data-testid="flash-error"' in no_reason and "This field is required." in no_reason
    assert "lisinopril 10 MG Oral Tablet is already stopped on " in twice
    assert AuditEvent.objects.filter(action="medication.discontinue").count() == 1


def test_it_finds_no_medication_of_another_patient_and_takes_only_posts(client_in, alice, bob):
    other = reverse("clinical:medication_discontinue", args=[BOB_MRN, lisinopril(alice).pk])

    assert client_in.post(other, {"reason": "Cough"}).status_code == 404
    assert client_in.get(reverse("clinical:medication_discontinue", args=[ALICE_MRN, lisinopril(alice).pk])) \
        .status_code == 405
    assert lisinopril(alice).status == "active"


def test_it_shows_the_vaccine_form_and_records_a_vaccine_given(client_in, alice):
    form = client_in.get(immunizations_url()).content.decode()
    assert 'data-testid="immunization-form"' in form
    assert '<option value="187">zoster vaccine recombinant (CVX 187)' in form

    given = timezone.localdate() - timedelta(days=2)
    response = client_in.post(reverse("clinical:immunization_record", args=[ALICE_MRN]),
                              {"cvx": "187", "given_on": given.isoformat(), "lot_number": "2T9X7", "site": "LD"},
                              follow=True)

    assert response.redirect_chain == [(immunizations_url(), 302)]
    html = response.content.decode()
    assert f"Recorded zoster vaccine recombinant given {given:%m/%d/%Y}." in html
    immunization = alice.immunizations.get(cvx="187")
    row = html.split(f'data-testid="immunization-row-{immunization.pk}"')[1].split("</tr>")[0]
    assert all(text in row for text in (f"{given:%m/%d/%Y}", "zoster vaccine recombinant", "2T9X7", "Left deltoid"))
    assert (immunization.recorded_by, timezone.localtime(immunization.occurred_at).date()) == ("drsmith", given)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"cvx": ""}, "cvx", "This field is required."),
        ({"cvx": "999"}, "cvx", "Select a valid choice."),
        ({"cvx": "115", "given_on": "2999-01-01"}, "given_on", "Cannot be in the future."),
        ({"cvx": "115", "given_on": "1900-01-01"}, "given_on", "Cannot be before the patient's birth date"),
        ({"cvx": "115", "site": "buttock"}, "site", "Select a valid choice."),
    ],
)
def test_it_shows_what_is_wrong_with_a_vaccine_entry_and_keeps_what_was_typed(client_in, alice, fields, field,
                                                                              message):
    response = client_in.post(reverse("clinical:immunization_record", args=[ALICE_MRN]),
                              {"lot_number": "LOT-77", **fields})

    assert response.status_code == 400
    html = unescape(response.content.decode())
    error = html.split(f'data-testid="immunization-error-{field}"')[1].split("</span>")[0]
    assert message in error
    assert 'value="LOT-77"' in html
    assert not Immunization.objects.filter(lot_number="LOT-77").exists()
