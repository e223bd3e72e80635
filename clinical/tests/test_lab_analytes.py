"""results_selectors.lab_analytes, written out in SQL for speed, reads what lab_results beside it defines:
every laboratory result but questionnaire answers, the newest two per analyte and how many there are."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from clinical.models import Observation
from clinical.result_panels import QUESTIONNAIRE_LOINCS, SCORE_UNITS
from clinical.results_selectors import lab_analytes, lab_results
from clinical.tests.factories import add_observation, make_patient

pytestmark = pytest.mark.django_db


def expected(patient, text: str = "") -> list[tuple]:
    """(LOINC, display, latest pk, previous pk or None, count) per analyte, read row by row through the ORM."""
    labs = [obs for obs in lab_results(patient)
            if text.lower() in obs.display.lower() or text.lower() in obs.loinc.lower()]
    by_loinc: dict[str, list[Observation]] = {}
    for obs in sorted(labs, key=lambda o: (o.effective_at, o.pk), reverse=True):
        by_loinc.setdefault(obs.loinc, []).append(obs)
    rows = [(loinc, obs[0].display, obs[0].pk, obs[1].pk if len(obs) > 1 else None, len(obs))
            for loinc, obs in by_loinc.items()]
    return sorted(rows, key=lambda row: row[1].lower())


def read(patient, text: str = "") -> list[tuple]:
    return [(row.loinc, row.display, row.latest.pk, row.previous.pk if row.previous else None, row.count)
            for row in lab_analytes(patient, text=text)]


@pytest.fixture
def chart():
    patient = make_patient(mrn="L0001", given="Lena", family="Labs", birth_date=date(1960, 5, 1), sex="female")
    other = make_patient(mrn="L0002", given="Otto", family="Other", birth_date=date(1970, 1, 1), sex="male")
    now = timezone.now()
    for days in (400, 200, 10):
        add_observation(patient, "2345-7", "Glucose", 90 + days / 10, "mg/dL", at=now - timedelta(days=days))
    add_observation(patient, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", 6.1, "%", at=now)
    # Two results drawn at the same moment: the later row counts as the newer.
    same = now - timedelta(days=3)
    add_observation(patient, "2823-3", "Potassium", 4.1, "mmol/L", at=same)
    add_observation(patient, "2823-3", "Potassium", 4.4, "mmol/L", at=same)
    # Not laboratory results of Results Review: a questionnaire code, a score, a vital sign, another patient's.
    add_observation(patient, sorted(QUESTIONNAIRE_LOINCS)[0], "PHQ-2 total", 2, "", at=now)
    add_observation(patient, "99999-9", "Some score", 7, SCORE_UNITS[0], at=now)
    add_observation(patient, "8867-4", "Heart rate", 72, "/min", at=now, category=Observation.Category.VITAL_SIGNS)
    add_observation(other, "2345-7", "Glucose", 300, "mg/dL", at=now)
    # A display a LIKE pattern would misread: the search must find "100%" and "a_b" literally.
    add_observation(patient, "5555-5", "Fraction 100% a_b", 1, "", at=now)
    return patient


def test_it_reads_the_newest_two_results_of_every_analyte_and_their_count(chart):
    rows = read(chart)
    assert rows == expected(chart)
    assert [row[0] for row in rows] == ["5555-5", "2345-7", "4548-4", "2823-3"]
    assert rows[1][4] == 3 and rows[2][3] is None


@pytest.mark.parametrize("text", ["gluc", "GLUC", "2823", "100%", "a_b", "0%", "_", "nothing"])
def test_its_search_matches_display_or_code_case_blind_and_takes_wildcards_literally(chart, text):
    assert read(chart, text) == expected(chart, text)


def test_a_search_for_a_wildcard_finds_only_what_holds_it(chart):
    assert [row[0] for row in read(chart, "0%")] == ["5555-5"]
    assert read(chart, "_") == expected(chart, "_") and [row[0] for row in read(chart, "_")] == ["5555-5"]
