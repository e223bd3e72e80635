"""The has_immunization_cvx and lacks_recent_immunization selector keys, and the latest_immunization and
previous_observation facts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.models import Immunization
from clinical.tests import factories
from harness.cohorts import cohort_mrns, selector_parse
from harness.facts import FactError, fact_compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return factories.make_alice(), factories.make_bob(), factories.make_charlie()


def mrns(selector: dict) -> list[str]:
    return cohort_mrns(selector_parse(selector), using="default")


def test_it_selects_patients_by_immunization_cvx(people):
    alice = people[0]

    assert alice.mrn in mrns({"has_immunization_cvx": ["140", "150"]})
    assert mrns({"has_immunization_cvx": "999"}) == []
    assert set(mrns({"has_immunization_cvx": ["140"]})) == set(
        Immunization.objects.filter(cvx="140").values_list("patient__mrn", flat=True))


def test_it_selects_patients_without_a_recent_dose_of_a_vaccine(people):
    alice, bob, charlie = people
    td_dose = Immunization.objects.get(patient=alice, cvx="113")
    due = {"lacks_recent_immunization": {"cvxs": ["113", "115"], "years": 5}}

    td_dose.occurred_at = timezone.now() - timedelta(days=365 * 5 + 30)
    td_dose.save()
    assert {alice.mrn, bob.mrn, charlie.mrn} <= set(mrns(due))

    td_dose.occurred_at = timezone.now() - timedelta(days=365 * 4)
    td_dose.save()
    assert alice.mrn not in mrns(due) and bob.mrn in mrns(due)
    assert alice.mrn in mrns({"lacks_recent_immunization": {"cvxs": "113", "years": 3}})


def test_it_refuses_a_recent_immunization_rule_without_codes_or_years():
    with pytest.raises(ValueError, match="cvxs"):
        selector_parse({"lacks_recent_immunization": {"cvxs": [], "years": 5}})
    with pytest.raises(ValueError, match="years"):
        selector_parse({"lacks_recent_immunization": {"cvxs": ["115"]}})


def test_it_reads_the_latest_dose_of_a_vaccine_and_counts_the_doses(people):
    alice = people[0]
    Immunization.objects.create(fhir_id="imm-c-extra", patient=alice, cvx="150", display="Influenza, injectable",
                                occurred_at=timezone.now() - timedelta(days=400))

    flu = fact_compute({"fact": "latest_immunization", "cvxs": ["140", "150"]}, alice)
    expected = timezone.localtime(timezone.now() - timedelta(days=92)).date().isoformat()
    assert (flu["answer"], flu["cvx"], flu["count"]) == (expected, "140", 2)
    with pytest.raises(FactError, match="no immunization with CVX 999"):
        fact_compute({"fact": "latest_immunization", "cvxs": "999"}, alice)


def test_it_reads_the_draw_before_the_latest(people):
    alice, bob, _ = people

    earlier = fact_compute({"fact": "previous_observation", "loincs": ["4548-4"]}, alice)
    assert (earlier["answer"], earlier["values"], earlier["unit"]) == (8.2, [8.2], "%")
    with pytest.raises(FactError, match="fewer than two numeric results"):
        fact_compute({"fact": "previous_observation", "loincs": ["4548-4"]}, bob)
