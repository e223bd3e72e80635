"""Reading results as an agent: questionnaires apart from laboratory results, values as the chart prints them
beside the stored ones."""

from datetime import UTC, datetime

import pytest
from django.db import connections

from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, act, start
from clinical.models import Observation, Patient

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]

PHQ2, ALT = "55758-7", "1742-6"


@pytest.fixture
def maria_surveyed():
    """Maria's chart as Synthea writes it: a PHQ-2 total filed as a laboratory result, and an ALT."""
    maria = Patient.objects.using("golden").get(mrn=MARIA_MRN)
    at = datetime(2023, 4, 2, 9, tzinfo=UTC)
    Observation.objects.using("golden").create(
        fhir_id="phq2-1", patient=maria, loinc=PHQ2, display="PHQ-2 total score", value_num=2, unit="{score}",
        category="laboratory", effective_at=at)
    Observation.objects.using("golden").create(
        fhir_id="alt-1", patient=maria, loinc=ALT, display="Alanine aminotransferase", value_num=28.13, unit="U/L",
        effective_at=at)
    connections["golden"].close()  # PostgreSQL copies it as a template: nobody may be connected


def test_results_leave_out_questionnaires_which_have_their_own_section(alice, maria_surveyed):
    episode = start(alice)
    results = act(episode, type="read_chart_section", section="results", mrn=MARIA_MRN).observation
    analytes = {row["loinc"]: row for row in results["last_action_result"]["analytes"]}
    assert set(analytes) == {"4548-4", ALT}
    assert (analytes[ALT]["panel"], analytes["4548-4"]["panel"]) == ("Chemistry (BMP/CMP)", "Endocrine")

    read = act(episode, type="read_chart_section", section="questionnaires", mrn=MARIA_MRN).observation
    (phq2,) = read["last_action_result"]["questionnaires"]
    assert (phq2["loinc"], phq2["latest"]["value"], phq2["count"]) == (PHQ2, 2, 1)
    assert read["route"] == f"/patients/{MARIA_MRN}/questionnaires/"


def test_a_result_carries_its_stored_value_and_the_value_the_chart_shows(alice, maria_surveyed):
    episode = start(alice)
    step = act(episode, type="get_observations", mrn=MARIA_MRN, loinc=ALT)
    (alt,) = step.observation["last_action_result"]["observations"]
    assert (alt["value"], alt["value_shown"], alt["unit"]) == (28.13, "28", "U/L")
