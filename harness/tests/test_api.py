"""REST: reset with a task id and a seed, the rubric in each step's info, the published task list."""

import pytest

from harness.models import Task
from harness.tests.conftest import ENV_DBS

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

TRIAGE = "ehr/emergency-care.triage-intake-v1"


def test_it_resets_with_a_task_and_a_seed(alice_api):
    response = alice_api.post("/api/v1/episodes", {"task_id": TRIAGE, "seed": 7}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["info"]["task_id"] == TRIAGE and body["info"]["seed"] == 7
    assert f"(MRN {body['info']['patient_mrn']})" in body["observation"]["goal"]
    assert "{" not in body["observation"]["goal"]
    assert body["observation"]["step_limit"] == Task.objects.get(task_id=TRIAGE).step_limit
    again = alice_api.post("/api/v1/episodes", {"task_id": TRIAGE, "seed": 7}, format="json").json()
    assert again["observation"]["goal"] == body["observation"]["goal"]


def test_it_scores_steps_and_keeps_the_answer_out_of_the_state(alice_api):
    episode = alice_api.post("/api/v1/episodes", {"task_id": TRIAGE, "seed": 2}, format="json").json()
    url, mrn = f"/api/v1/episodes/{episode['episode_id']}", episode["info"]["patient_mrn"]

    looked = alice_api.post(f"{url}/step", {"action": {"type": "read_chart_section", "section": "allergies",
                                                       "mrn": mrn}}, format="json").json()
    ended = alice_api.post(f"{url}/step", {"action": {"type": "finish"}}, format="json").json()
    state = alice_api.get(url).json()

    assert looked["reward"] == pytest.approx(1 / 6)
    assert looked["info"]["rubric"]["criteria"][1] == {
        "id": "2:section_visited", "kind": "section_visited", "weight": 1.0, "required": True, "constraint": False,
        "severity": "none", "score": 1.0, "passed": True,
    }
    assert ended["terminated"] and ended["info"]["rubric"]["criteria"][0]["detail"] == "bp_diastolic not recorded; " \
        "bp_systolic not recorded; heart_rate not recorded; respiratory_rate not recorded; spo2 not recorded; " \
        "temperature not recorded"
    assert (state["task_id"], state["score"], state["success"]) == (TRIAGE, pytest.approx(1 / 6), False)
    assert "task_instance" not in state and "score_breakdown" not in state


def test_it_explains_a_reset_it_cannot_do(alice_api):
    unknown = alice_api.post("/api/v1/episodes", {"task_id": "ehr/nothing.here-v1"}, format="json")
    both = alice_api.post("/api/v1/episodes", {"task_id": TRIAGE, "instruction": "Something else"}, format="json")
    neither = alice_api.post("/api/v1/episodes", {}, format="json")

    assert unknown.status_code == 400 and "No published task" in unknown.json()["task_id"][0]
    assert both.status_code == 400 and "give task_id or instruction" in both.json()["instruction"][0]
    assert neither.status_code == 400 and neither.json() == {"patient_mrn": ["This field is required."]}


def test_it_lists_published_tasks_only(alice_api):
    Task.objects.filter(task_id=TRIAGE).update(status=Task.Status.DRAFT)

    tasks = alice_api.get("/api/v1/tasks").json()
    skills = alice_api.get("/api/v1/tasks", {"tier": "skill"}).json()

    assert TRIAGE not in {t["task_id"] for t in tasks} and len(tasks) >= 5
    assert set(tasks[0]) == {"task_id", "title", "tier", "domain", "description", "step_limit", "allowed_actions"}
    assert {t["tier"] for t in skills} == {"skill"}
    assert alice_api.get("/api/v1/tasks", {"tier": "expert"}).status_code == 400


def test_it_documents_the_task_list_and_the_task_reset(alice_api):
    schema = alice_api.get("/api/schema/", {"format": "json"}).json()

    assert schema["paths"]["/api/v1/tasks"]["get"]["operationId"] == "task_list"
    reset_body = schema["components"]["schemas"]["EpisodeResetInput"]["properties"]
    assert "task_id" in reset_body and "patient_mrn" in reset_body


def test_it_needs_a_token_for_the_task_list(client):
    assert client.get("/api/v1/tasks").status_code in (401, 403)
