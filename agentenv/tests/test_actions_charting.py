"""Charting actions on the medication list and the immunization history: stop a home
medication, record a vaccine given. Maria takes lisinopril (renewed once) and ibuprofen;
her amoxicillin course is completed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connections
from django.utils import timezone

from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from clinical.models import AuditEvent, Immunization, Medication, Patient

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden", "home_medications")]

LISINOPRIL, IBUPROFEN, AMOXICILLIN = "314076", "206905", "308192"


@pytest.fixture
def home_medications(golden):
    maria = Patient.objects.using("golden").get(mrn=MARIA_MRN)
    for fhir_id, rxnorm, display, status, year in (
        ("maria-lis-1", LISINOPRIL, "lisinopril 10 MG Oral Tablet", "active", 2021),
        ("maria-lis-2", LISINOPRIL, "lisinopril 10 MG Oral Tablet", "active", 2024),
        ("maria-ibu", IBUPROFEN, "Ibuprofen 400 MG Oral Tablet [Ibu]", "active", 2023),
        ("maria-amox", AMOXICILLIN, "amoxicillin 500 MG Oral Tablet", "completed", 2022),
    ):
        Medication.objects.using("golden").create(
            fhir_id=fhir_id, patient=maria, rxnorm=rxnorm, display=display, status=status,
            authored_at=datetime(year, 5, 1, 9, tzinfo=UTC),
        )
    # Episodes copy the golden database as a template: nobody may stay connected to it.
    connections["golden"].close()


def ok(step) -> dict:
    assert step.error == "", step.error
    assert step.reward == 0.0
    return step.observation["last_action_result"]


def medication_list(episode, mrn: str = MARIA_MRN) -> dict:
    return ok(act(episode, type="read_chart_section", section="medications", mrn=mrn))


def listed(rows: list[dict], rxnorm: str) -> dict:
    return next(row for row in rows if row["rxnorm"] == rxnorm)


def test_it_stops_a_home_medication_and_its_renewals_with_the_reason_and_an_end_date(alice):
    episode = start(alice)
    lisinopril = listed(medication_list(episode)["active"], LISINOPRIL)

    stopped = ok(act(episode, type="discontinue_medication", mrn=MARIA_MRN, medication_id=lisinopril["id"],
                     reason="Angioedema of the lips"))

    assert stopped["medication"]["id"] == lisinopril["id"] and stopped["entries_stopped"] == 2
    assert stopped["medication"]["status"] == "stopped"
    after = medication_list(episode)
    assert [row["rxnorm"] for row in after["active"]] == [IBUPROFEN]
    past = listed(after["past"], LISINOPRIL)
    assert (past["status"], past["end_reason"]) == ("stopped", "Angioedema of the lips")
    assert timezone.now() - datetime.fromisoformat(past["ended_at"]) < timedelta(minutes=1)
    with bind_episode(episode):
        events = list(AuditEvent.objects.filter(action="medication.discontinue"))
        assert Medication.objects.filter(rxnorm=LISINOPRIL, status="stopped").count() == 2
    assert {(e.actor, e.episode_step, e.details["reason"]) for e in events} == {("alice", 2, "Angioedema of the lips")}
    assert len(events) == 2


def test_it_lands_on_the_medications_tab_of_the_chart(alice):
    episode = start(alice)
    ibuprofen = listed(medication_list(episode)["active"], IBUPROFEN)

    step = act(episode, type="discontinue_medication", medication_id=ibuprofen["id"], mrn=MARIA_MRN,
               reason="Chronic kidney disease")

    assert step.observation["route"] == f"/patients/{MARIA_MRN}/medications/"
    assert step.observation["patient_mrn"] == MARIA_MRN


def test_it_refuses_an_unknown_an_already_stopped_or_another_patients_medication(alice):
    episode = start(alice)
    rows = medication_list(episode)
    lisinopril, amoxicillin = listed(rows["active"], LISINOPRIL), listed(rows["past"], AMOXICILLIN)
    ok(act(episode, type="discontinue_medication", mrn=MARIA_MRN, medication_id=lisinopril["id"], reason="Cough"))

    refused = {
        "unknown": act(episode, type="discontinue_medication", mrn=MARIA_MRN, medication_id=99999, reason="Cough"),
        "twice": act(episode, type="discontinue_medication", mrn=MARIA_MRN, medication_id=lisinopril["id"],
                     reason="Cough"),
        "completed": act(episode, type="discontinue_medication", mrn=MARIA_MRN, medication_id=amoxicillin["id"],
                         reason="Rash"),
        "other patient": act(episode, type="discontinue_medication", mrn=JAMES_MRN, medication_id=lisinopril["id"],
                             reason="Cough"),
        "no reason": act(episode, type="discontinue_medication", mrn=MARIA_MRN, medication_id=lisinopril["id"],
                         reason=""),
    }

    assert "No medication #99999 on the medication list of MRN E1000001" in refused["unknown"].error
    assert "lisinopril 10 MG Oral Tablet is already stopped on " in refused["twice"].error
    assert "amoxicillin 500 MG Oral Tablet is already completed" in refused["completed"].error
    assert f"No medication #{lisinopril['id']} on the medication list of MRN {JAMES_MRN}" in \
        refused["other patient"].error
    assert "reason" in refused["no reason"].error
    assert {step.reward for step in refused.values()} == {-INVALID_ACTION_PENALTY}
    with bind_episode(episode):
        assert AuditEvent.objects.filter(action="medication.discontinue").count() == 2  # the first stop only


def test_it_records_an_immunization_given_on_a_day_with_lot_and_site(alice):
    episode = start(alice)
    given = timezone.localdate() - timedelta(days=10)

    recorded = ok(act(episode, type="record_immunization", mrn=MARIA_MRN, cvx="115", date=given.isoformat(),
                      lot_number="TD4471", site="LD"))

    assert recorded["immunization"]["display"] == "Tdap"
    assert timezone.localtime(datetime.fromisoformat(recorded["immunization"]["occurred_at"])).date() == given
    history = ok(act(episode, type="read_chart_section", section="immunizations", mrn=MARIA_MRN))["immunizations"]
    assert [(i["cvx"], i["display"], i["lot_number"], i["site"]) for i in history] == [("115", "Tdap", "TD4471", "LD")]
    with bind_episode(episode):
        event = AuditEvent.objects.get(action="immunization.record")
        assert Immunization.objects.get().recorded_by == "alice"
    assert (event.episode_step, event.details["cvx"], event.details["lot_number"]) == (1, "115", "TD4471")


def test_it_records_a_vaccine_given_now_by_default_and_shows_the_immunizations_tab(alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    step = act(episode, type="record_immunization", cvx="187")

    result = ok(step)["immunization"]
    assert result["display"] == "zoster vaccine recombinant" and (result["lot_number"], result["site"]) == ("", "")
    assert timezone.now() - datetime.fromisoformat(result["occurred_at"]) < timedelta(minutes=1)
    assert step.observation["route"] == f"/patients/{MARIA_MRN}/immunizations/"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"cvx": "zoster"}, "A CVX code is a number"),
        ({"cvx": "998"}, "CVX 998 is not a vaccine this EHR records; choose one of: 140 (Influenza"),
        ({"cvx": "115", "date": (date.today() + timedelta(days=3)).isoformat()}, "Cannot be in the future"),
        ({"cvx": "115", "date": "1950-01-01"}, "Cannot be before the patient's birth date (06/02/1958)"),
        ({"cvx": "115", "date": "yesterday"}, "record_immunization.date: Input should be a valid date"),
        ({"cvx": "115", "site": "buttock"}, "record_immunization.site: Input should be"),
    ],
)
def test_it_refuses_an_immunization_it_cannot_record(alice, fields, message):
    episode = start(alice)

    step = act(episode, type="record_immunization", mrn=MARIA_MRN, **fields)

    assert message in step.error
    assert step.reward == -INVALID_ACTION_PENALTY
    with bind_episode(episode):
        assert not Immunization.objects.exists() and not AuditEvent.objects.exists()
