"""Synthea re-records a problem at each visit and a drug at each renewal: lists show each once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinical import selectors
from clinical.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora():
    """Seen three times for hypertension, renewed on lisinopril twice, with social findings."""
    dora = factories.make_patient(mrn="E2001", given="Dora", family="Diaz",
                                  birth_date=timezone.localdate().replace(year=1970), sex="female")
    for days in (3000, 2000, 1000):
        factories.add_problem(dora, "38341003", "Hypertension", onset_days_ago=days)
    factories.add_problem(dora, "224299000", "Received higher education (finding)", onset_days_ago=500)
    factories.add_problem(dora, "314529007", "Medication review due (situation)", onset_days_ago=30)
    factories.add_problem(dora, "10509002", "Acute bronchitis", onset_days_ago=400, status="resolved")
    factories.add_problem(dora, "10509002", "Acute bronchitis", onset_days_ago=200, status="resolved")
    factories.add_problem(dora, "195662009", "Acute viral pharyngitis", onset_days_ago=90, status="resolved")
    factories.add_problem(dora, "195662009", "Acute viral pharyngitis", onset_days_ago=10)
    for days, sig in ((700, "10 mg daily"), (300, "20 mg daily")):
        factories.add_medication(dora, "314076", "lisinopril 10 MG Oral Tablet", dosage_text=sig,
                                 authored_at=timezone.now() - timedelta(days=days))
    factories.add_medication(dora, "308182", "amoxicillin 250 MG Oral Capsule", status="stopped",
                             authored_at=timezone.now() - timedelta(days=400))
    factories.add_medication(dora, "308182", "amoxicillin 250 MG Oral Capsule", status="stopped",
                             authored_at=timezone.now() - timedelta(days=200))
    return dora


def test_it_lists_a_recurring_problem_once_from_its_first_onset(dora):
    active = list(selectors.problems_active(dora))
    assert [c.code for c in active] == ["195662009", "38341003"]
    hypertension = active[1]
    assert (timezone.now() - hypertension.onset).days == pytest.approx(3000, abs=1)


def test_it_keeps_social_findings_off_the_clinical_problem_list(dora):
    assert {c.code for c in selectors.problems_social(dora)} == {"224299000", "314529007"}
    assert not {c.code for c in selectors.problems_active(dora)} & {"224299000", "314529007"}


def test_it_lists_a_resolved_problem_once_and_not_when_it_is_active_again(dora):
    assert [c.code for c in selectors.problems_resolved(dora)] == ["10509002"]


def test_it_lists_a_renewed_drug_once_with_its_latest_sig(dora):
    active = list(selectors.medications_active(dora))
    assert [(m.rxnorm, m.dosage_text) for m in active] == [("314076", "20 mg daily")]
    assert [m.rxnorm for m in selectors.medications_past(dora)] == ["308182"]


def test_the_patient_list_counts_distinct_clinical_problems(client_in, dora):
    html = client_in.get(reverse("clinical:patient_list")).content.decode()
    row = html.split('data-testid="patient-row-E2001"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row


def test_the_problems_tab_shows_social_findings_in_their_own_section(client_in, dora):
    html = client_in.get(reverse("clinical:chart_problems", args=["E2001"])).content.decode()
    active = html.split('data-testid="problems-active"')[1].split("</table>")[0]
    social = html.split('data-testid="problems-social"')[1].split("</table>")[0]
    assert active.count("Hypertension") == 1 and "higher education" not in active
    assert "Received higher education" in social and "Medication review due" in social
