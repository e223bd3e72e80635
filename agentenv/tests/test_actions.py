"""Semantic actions: each reads or writes the chart through the same code as the UI,
on the episode's own database; a bad action is an observation with a penalty."""

import pytest

from agentenv.actions.registry import action_schemas
from agentenv.models import Episode
from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from clinical.chart_sections import chart_sections
from clinical.models import AuditEvent, Condition, Patient

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def test_it_finds_patients_and_opens_a_chart(alice):
    episode = start(alice)

    found = act(episode, type="search_patients", query="Garcia")
    assert [p["mrn"] for p in found.observation["last_action_result"]["patients"]] == [MARIA_MRN]
    assert found.observation["route"].startswith("/lookup/")

    opened = act(episode, type="open_chart", mrn=MARIA_MRN)
    result = opened.observation["last_action_result"]
    assert (result["name"], result["allergies"]) == ("Garcia, Maria", ["Penicillin V"])
    assert opened.observation["route"] == f"/patients/{MARIA_MRN}/"
    assert opened.observation["patient_mrn"] == MARIA_MRN
    assert (opened.reward, opened.observation["last_action_error"]) == (0.0, None)


SECTION_KEYS = {
    "summary": "active_problems", "visit": "visit", "problems": "active", "medications": "active",
    "allergies": "allergies", "results": "analytes", "questionnaires": "questionnaires",
    "vitals": "latest", "encounters": "encounters", "immunizations": "immunizations",
    "procedures": "procedures", "notes": "notes",
}


def test_it_reads_every_chart_section_of_the_open_chart(alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    for section, key in SECTION_KEYS.items():
        step = act(episode, type="read_chart_section", section=section)

        assert step.error == "", section
        assert key in step.observation["last_action_result"], section
        assert step.observation["route"].startswith(f"/patients/{MARIA_MRN}/"), section


def test_it_offers_every_chart_section_but_orders_which_the_order_actions_read():
    # (and the In Basket, which list_inbasket reads)
    offered = action_schemas()["read_chart_section"]["properties"]["section"]["enum"]
    assert offered == [section.name for section in chart_sections() if section.name not in {"orders", "inbasket"}]
    assert offered == list(SECTION_KEYS)


def test_it_shows_the_problem_list_and_latest_labs_from_the_seed(alice):
    episode = start(alice)
    problems = act(episode, type="read_chart_section", section="problems", mrn=MARIA_MRN).observation
    assert [p["display"] for p in problems["last_action_result"]["active"]] == ["Diabetes mellitus type 2"]
    results = act(episode, type="read_chart_section", section="results").observation["last_action_result"]
    (a1c,) = results["analytes"]
    assert (a1c["latest"]["value"], a1c["previous"]["value"], a1c["count"]) == (6.9, 7.4, 3)


def test_it_gets_observations_by_loinc_within_a_time_window(alice):
    episode = start(alice)
    step = act(episode, type="get_observations", mrn=MARIA_MRN, loinc="4548-4",
               start="2023-01-31T00:00:00Z", end="2023-03-31T00:00:00Z")
    values = [obs["value"] for obs in step.observation["last_action_result"]["observations"]]
    assert values == [6.9, 7.4]  # newest first, January's result outside the window


def test_it_gives_every_time_in_the_ehrs_own_time_zone(alice, settings):
    """Defect: the API returned UTC while the pages and the tasks' dates are local, so a late-evening
    vaccine or result fell on another day for an agent than for a clinician (10 of 40 last-vaccine-date
    instances)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    episode = start(alice)
    step = act(episode, type="get_observations", mrn=MARIA_MRN, loinc="4548-4")
    immunizations = act(episode, type="read_chart_section", section="immunizations", mrn=MARIA_MRN)

    rows = step.observation["last_action_result"]["observations"]
    rows += immunizations.observation["last_action_result"]["immunizations"]
    local = ZoneInfo(settings.TIME_ZONE)
    for row in rows:
        moment = datetime.fromisoformat(row.get("effective_at") or row["occurred_at"])
        assert moment.utcoffset() == moment.astimezone(local).utcoffset(), row


def test_it_adds_a_problem_with_the_step_number_on_the_audit_event(alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    step = act(episode, type="add_problem", code="38341003", display="Hypertension")

    assert step.observation["route"] == f"/patients/{MARIA_MRN}/problems/"
    with bind_episode(episode):
        assert Condition.objects.filter(code="38341003", patient__mrn=MARIA_MRN).exists()
        event = AuditEvent.objects.get(action="condition.add")
    assert (event.actor, event.episode_step) == ("alice", 2)


def test_it_records_vitals_sets_code_status_and_adds_an_allergy(alice):
    episode = start(alice, mrn=JAMES_MRN)
    act(episode, type="open_chart", mrn=JAMES_MRN)

    vitals = act(episode, type="record_vitals", values={"bp_systolic": 182, "bp_diastolic": 104, "heart_rate": 88})
    code = act(episode, type="set_code_status", code_status="dnr")
    allergy = act(episode, type="add_allergy", substance="Sulfamethoxazole", reaction="Rash", severity="moderate")

    assert [s.error for s in (vitals, code, allergy)] == ["", "", ""]
    with bind_episode(episode):
        james = Patient.objects.get(mrn=JAMES_MRN)
        assert james.code_status == "dnr"
        assert james.allergies.get().substance == "Sulfamethoxazole"
        assert sorted(james.observations.values_list("loinc", flat=True)) == ["8462-4", "8480-6", "8867-4"]
    latest = act(episode, type="read_chart_section", section="vitals").observation["last_action_result"]["latest"]
    assert {row["vital"]: row["value"] for row in latest}["bp"] == "182/104"


@pytest.mark.parametrize(
    "action, message",
    [
        ({"type": "fly_to_the_moon"}, "does not match any of the expected tags"),
        ({"type": "open_chart"}, "open_chart.mrn: Field required"),
        ({"type": "open_chart", "mrn": MARIA_MRN, "tab": "x"}, "Extra inputs are not permitted"),
        ({"type": "open_chart", "mrn": "NOPE"}, "No patient with MRN 'NOPE'"),
        ({"type": "read_chart_section", "section": "problems"}, "No chart is open"),
        ({"type": "add_problem", "mrn": MARIA_MRN, "code": "HTN", "display": "Hypertension"},
         "SNOMED CT code is a number"),
        ({"type": "record_vitals", "mrn": MARIA_MRN, "values": {"bp_systolic": 120}}, "needs both"),
    ],
)
def test_it_reports_an_invalid_or_failing_action_with_a_penalty_and_goes_on(alice, action, message):
    episode = start(alice)

    step = act(episode, **action)

    assert message in step.observation["last_action_error"]
    assert step.reward == -INVALID_ACTION_PENALTY
    assert (step.terminated, step.truncated) == (False, False)
    episode.refresh_from_db()
    assert episode.status == Episode.Status.RUNNING and episode.step_count == 1
    assert act(episode, type="open_chart", mrn=MARIA_MRN).error == ""


def test_it_leaves_nothing_behind_when_an_action_fails_halfway(alice):
    episode = start(alice)
    # The diabetes is already on the list: the service refuses it after reading the chart.
    step = act(episode, type="add_problem", mrn=MARIA_MRN, code="44054006", display="Diabetes mellitus type 2")
    assert "already an active problem" in step.error
    with bind_episode(episode):
        assert Condition.objects.count() == 1 and not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "action",
    [{"type": "answer", "answer": "6.9 %"}, {"type": "finish"}, {"type": "report_infeasible", "reason": "unsafe"}]
)
def test_it_terminates_on_a_terminal_action(alice, action):
    episode = start(alice)
    step = act(episode, **action)
    episode.refresh_from_db()
    assert (step.terminated, step.truncated, episode.status) == (True, False, Episode.Status.TERMINATED)
    if action["type"] == "answer":
        assert episode.answer == "6.9 %"


def test_it_truncates_when_the_step_limit_runs_out(alice):
    from agentenv.reset import ResetParameters, episode_reset

    episode = episode_reset(owner=alice, parameters=ResetParameters(patient_mrn=MARIA_MRN, instruction="Look around.",
                                                                    step_limit=2))
    first = act(episode, type="search_patients", query="Okafor")
    second = act(episode, type="search_patients", query="Garcia")
    episode.refresh_from_db()
    assert (first.truncated, second.truncated, second.terminated) == (False, True, False)
    assert episode.status == Episode.Status.TRUNCATED and second.observation["step"] == 2
