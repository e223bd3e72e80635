"""A task episode in browser mode: the rubric reads the pages the browser visited and the chart it changed."""

import pytest

from agentenv.models import Episode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRIAGE = "ehr/emergency-care.triage-intake-v1"


def step(api, episode_id: str, **action) -> dict:
    response = api.post(f"/api/v1/episodes/{episode_id}/step", {"action": action}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_scores_a_task_worked_in_the_browser(ehr, alice_api):
    reset = alice_api.post("/api/v1/episodes", {"task_id": TRIAGE, "seed": 5, "mode": "browser"}, format="json")
    assert reset.status_code == 201, reset.content
    body = reset.json()
    episode_id = body["episode_id"]
    mrn = body["observation"]["goal"].split("(MRN ", 1)[1].split(")", 1)[0]
    assert body["info"]["patient_mrn"] is None and body["observation"]["axtree"]
    params = Episode.objects.get(pk=episode_id).task_instance["params"]

    allergies = step(alice_api, episode_id, type="goto", url=f"/patients/{mrn}/allergies/")
    status = step(alice_api, episode_id, type="set_code_status", mrn=mrn, code_status=params["code_status"])
    done = step(alice_api, episode_id, type="finish")

    assert allergies["observation"]["route"] == f"/patients/{mrn}/allergies/"
    assert allergies["reward"] == pytest.approx(1 / 6)  # section_visited, weight 1 of 6, from the browser's route
    assert status["reward"] == pytest.approx(2 / 6)  # a semantic action in a browser episode, same services
    rows = {row["kind"]: row for row in done["info"]["rubric"]["criteria"]}
    assert rows["section_visited"]["passed"] and rows["code_status_set"]["passed"]
    assert not rows["vitals_recorded"]["passed"] and done["info"]["rubric"]["success"] is False
    episode = Episode.objects.get(pk=episode_id)
    assert (episode.score, episode.success) == (pytest.approx(0.5), False)
