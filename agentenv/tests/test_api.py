"""The REST API: token auth, reset, step, state, close, trajectory, schemas, and an
actionable 4xx/503 for every client mistake."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from agentenv.models import Episode
from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, client_for

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]

RESET = "/api/v1/episodes"


def reset(api, **overrides):
    body = {"patient_mrn": MARIA_MRN, "instruction": "What is the latest hemoglobin A1c?", **overrides}
    return api.post(RESET, body, format="json")


def step(api, episode_id, action):
    return api.post(f"{RESET}/{episode_id}/step", {"action": action}, format="json")


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_it_authenticates_with_token_or_bearer(alice, keyword):
    response = client_for(alice, keyword).get("/api/v1/actions")
    assert response.status_code == 200


def test_it_refuses_requests_without_a_valid_token(alice):
    assert APIClient().post(RESET, {}, format="json").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.get("/api/v1/actions").status_code == 401


def test_a_token_found_valid_is_not_looked_up_again_at_once(alice, django_assert_num_queries):
    api = client_for(alice)
    assert api.get("/api/v1/actions").status_code == 200
    with django_assert_num_queries(0):  # the action list reads no database: only the token lookup could
        assert api.get("/api/v1/actions").status_code == 200


def test_a_deleted_token_or_a_deactivated_user_is_refused_at_once(alice, bob):
    alice_api, bob_api = client_for(alice), client_for(bob)
    assert alice_api.get("/api/v1/actions").status_code == 200
    assert bob_api.get("/api/v1/actions").status_code == 200

    alice.auth_token.delete()
    bob.is_active = False
    bob.save()

    assert alice_api.get("/api/v1/actions").status_code == 401
    assert bob_api.get("/api/v1/actions").status_code == 401


def test_it_resets_an_episode(alice_api):
    response = reset(alice_api, seed=7)

    assert response.status_code == 201
    body = response.json()
    assert body["observation"] == {
        "goal": "What is the latest hemoglobin A1c?", "route": "/patients/", "patient_mrn": None,
        "last_action_result": None, "last_action_error": None, "step": 0, "step_limit": 50,
    }
    assert body["info"]["seed"] == 7 and "read_chart_section" in body["info"]["action_types"]
    assert Episode.objects.get(pk=body["episode_id"]).status == "running"


def test_it_steps_and_returns_the_five_gymnasium_parts(alice_api):
    episode_id = reset(alice_api).json()["episode_id"]

    response = step(alice_api, episode_id, {"type": "get_observations", "mrn": MARIA_MRN, "loinc": "4548-4"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"observation", "reward", "terminated", "truncated", "info"}
    assert body["observation"]["last_action_result"]["observations"][0]["value"] == 6.9
    assert (body["reward"], body["terminated"], body["truncated"]) == (0.0, False, False)

    done = step(alice_api, episode_id, {"type": "answer", "answer": "6.9 %"}).json()
    assert done["terminated"] and alice_api.get(f"{RESET}/{episode_id}").json()["answer"] == "6.9 %"


def test_it_penalizes_an_invalid_action_and_goes_on(alice_api):
    episode_id = reset(alice_api).json()["episode_id"]
    body = step(alice_api, episode_id, {"type": "open_chart", "mrn": MARIA_MRN, "oops": 1}).json()
    assert body["reward"] == -INVALID_ACTION_PENALTY
    assert "Extra inputs are not permitted" in body["observation"]["last_action_error"]
    assert step(alice_api, episode_id, {"type": "open_chart", "mrn": MARIA_MRN}).json()["reward"] == 0.0


@pytest.mark.parametrize(
    "body, field",
    # (A non-empty string is a BrowserGym action string: agentenv/tests/test_browsergym_actions.py.)
    [({}, "action"), ({"action": " "}, "action"), ({"action": 12}, "action"),
     ({"action": {"mrn": MARIA_MRN}}, "action")],
)
def test_it_answers_400_with_field_messages_for_a_malformed_step(alice_api, body, field):
    episode_id = reset(alice_api).json()["episode_id"]
    response = alice_api.post(f"{RESET}/{episode_id}/step", body, format="json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(
    "body, field",
    [({"instruction": "x"}, "patient_mrn"), ({"patient_mrn": MARIA_MRN}, "instruction"),
     ({"patient_mrn": "NOPE", "instruction": "x"}, "patient_mrn"),
     ({"patient_mrn": MARIA_MRN, "instruction": "x", "step_limit": 0}, "step_limit")],
)
def test_it_answers_400_with_field_messages_for_a_malformed_reset(alice_api, body, field):
    response = alice_api.post(RESET, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Episode.objects.exists()


def test_reset_fields_mean_the_same_on_rest_and_openenv(alice_api):
    # One definition (agentenv/wire.py): the REST reset once took instructions of any length and ignored unknown
    # fields, while OpenEnv refused both.
    too_long = {"patient_mrn": MARIA_MRN, "instruction": "x" * 20001}
    assert alice_api.post(RESET, too_long, format="json").json() == {
        "instruction": ["String should have at most 20000 characters"]}
    assert alice_api.post("/openenv/reset", too_long, format="json").json()["detail"] == (
        "Invalid reset: instruction: String should have at most 20000 characters")
    mistyped = {"patient_mrn": MARIA_MRN, "instruction": "Review the chart.", "sed": 3}
    assert alice_api.post(RESET, mistyped, format="json").json() == {"sed": ["Unknown field."]}
    assert "sed: Unknown field." in alice_api.post("/openenv/reset", mistyped, format="json").json()["detail"]
    assert not Episode.objects.exists()


def test_it_hides_unknown_and_other_users_episodes(alice_api, bob_api):
    episode_id = reset(alice_api).json()["episode_id"]
    for url in (f"{RESET}/{episode_id}", f"{RESET}/{episode_id}/trajectory"):
        assert bob_api.get(url).status_code == 404
    assert step(bob_api, episode_id, {"type": "finish"}).status_code == 404
    assert bob_api.delete(f"{RESET}/{episode_id}").status_code == 404
    assert alice_api.get(f"{RESET}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert alice_api.get(f"{RESET}/not-a-uuid").status_code == 404
    assert alice_api.get(f"{RESET}/{episode_id}").json()["status"] == "running"


def test_it_answers_409_to_a_step_after_the_episode_ended(alice_api):
    episode_id = reset(alice_api).json()["episode_id"]
    step(alice_api, episode_id, {"type": "finish"})
    response = step(alice_api, episode_id, {"type": "search_patients", "query": "Garcia"})
    assert response.status_code == 409 and "terminated" in response.json()["detail"]


def test_it_answers_503_with_retry_after_when_every_slot_is_taken(alice_api, settings):
    settings.EHRGYM_MAX_EPISODES = 1
    assert reset(alice_api).status_code == 201
    response = reset(alice_api)
    assert response.status_code == 503 and int(response["Retry-After"]) > 0



def test_a_browser_reset_without_chromium_says_what_to_install(alice_api, settings, tmp_path):
    settings.EHRGYM_SELENIUM_REMOTE_URL = ""
    settings.EHRGYM_BROWSER_POOL_SIZE = 0
    settings.EHRGYM_MAX_EPISODES = 1
    settings.EHRGYM_CHROMIUM = tmp_path / "chromium"
    settings.EHRGYM_CHROMEDRIVER = tmp_path / "chromedriver"

    response = reset(alice_api, mode="browser")

    assert response.status_code == 503
    detail = response.json()["detail"]
    assert f"Chromium at {tmp_path / 'chromium'} (EHRGYM_CHROMIUM)" in detail
    assert f"chromedriver at {tmp_path / 'chromedriver'} (EHRGYM_CHROMEDRIVER)" in detail
    assert "apt-get install chromium chromium-driver" in detail and "EHRGYM_SELENIUM_REMOTE_URL" in detail
    episode = Episode.objects.get(owner__username="alice")
    assert episode.status == Episode.Status.ERRORED and episode.released_at is not None
    assert reset(alice_api).status_code == 201  # the failed reset holds no slot, no database

def test_it_closes_an_episode_and_keeps_its_trajectory(alice_api):
    episode_id = reset(alice_api).json()["episode_id"]
    step(alice_api, episode_id, {"type": "open_chart", "mrn": MARIA_MRN})
    step(alice_api, episode_id, {"type": "read_chart_section", "section": "allergies"})

    closed = alice_api.delete(f"{RESET}/{episode_id}")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and not closed.json()["holds_database"]
    assert step(alice_api, episode_id, {"type": "finish"}).status_code == 409

    trajectory = alice_api.get(f"{RESET}/{episode_id}/trajectory").json()
    assert [s["action"]["type"] for s in trajectory["steps"]] == ["open_chart", "read_chart_section"]
    assert trajectory["steps"][1]["observation"]["last_action_result"]["allergies"][0]["substance"] == "Penicillin V"


def test_it_lists_the_json_schema_of_every_action(alice_api):
    actions = {a["type"]: a for a in alice_api.get("/api/v1/actions").json()["actions"]}
    assert {"search_patients", "open_chart", "read_chart_section", "get_observations", "add_problem",
            "record_vitals", "set_code_status", "add_allergy", "answer", "finish", "report_infeasible"} <= set(actions)
    schema = actions["add_problem"]["json_schema"]
    assert schema["additionalProperties"] is False and {"type", "code", "display"} <= set(schema["required"])
    assert all(field.get("description") for field in schema["properties"].values())


def test_it_renders_the_openapi_schema_and_offline_docs(alice):
    browser = Client()
    browser.force_login(alice)
    schema = browser.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert {"/api/v1/episodes", "/api/v1/episodes/{episode_id}/step", "/api/v1/actions"} <= set(paths)
    docs = browser.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    asset = browser.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_it_prints_an_agent_token(capsys):
    call_command("agent_token", "carol")
    token = capsys.readouterr().out.strip()
    call_command("agent_token", "carol")
    assert capsys.readouterr().out.strip() == token
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/actions").status_code == 200
