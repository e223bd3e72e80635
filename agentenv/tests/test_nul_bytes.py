"""A NUL character (U+0000) anywhere a client can put one is a 400 that says why, never a 500.

PostgreSQL cannot store U+0000 in text: before ehrsite/nul_bytes.py, each of these reached a
query and failed with DataError (500) on PostgreSQL. The same requests are refused on SQLite.
"""

import pytest

from agentenv.models import Episode
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]
RESET = "/api/v1/episodes"


@pytest.mark.parametrize("url", [
    "/lookup/?q=%00", "/patients/%00/", f"/patients/{MARIA_MRN}/results/?q=%00",
    f"/patients/{MARIA_MRN}/orders/?q=ab%00", "/harness/episodes/?task=%00", "/patients/?q=%00",
])
def test_a_page_with_nul_in_its_address_is_a_400(client, alice, url):
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 400 and b"NUL characters" in response.content


def test_an_api_address_with_nul_answers_in_json(alice_api):
    response = alice_api.get("/api/v1/tasks?domain=%00")
    assert response.status_code == 400 and "NUL characters" in response.json()["detail"]


def test_a_reset_or_step_with_nul_in_its_body_is_a_400_and_changes_nothing(alice_api):
    refused = alice_api.post(RESET, {"patient_mrn": MARIA_MRN, "instruction": "Review.\x00"}, format="json")
    assert refused.status_code == 400 and "NUL characters" in refused.json()["detail"]
    form = alice_api.post(RESET, {"patient_mrn": MARIA_MRN, "instruction": "Review.\x00"})  # multipart, as a form would
    assert form.status_code == 400 and not Episode.objects.exists()

    episode_id = alice_api.post(RESET, {"patient_mrn": MARIA_MRN, "instruction": "Review."},
                                format="json").json()["episode_id"]
    step = alice_api.post(f"{RESET}/{episode_id}/step", {"action": {"type": "search_patients", "query": "\x00"}},
                          format="json")
    assert step.status_code == 400 and "NUL characters" in step.json()["detail"]
    assert Episode.objects.get(pk=episode_id).step_count == 0


def test_an_openenv_reset_with_nul_in_its_episode_id_is_a_400(alice_api):
    response = alice_api.post("/openenv/reset", {"patient_mrn": MARIA_MRN, "instruction": "Review.",
                                                 "episode_id": "run\x00"}, format="json")
    assert response.status_code == 400 and "NUL characters" in response.json()["detail"]
    assert not Episode.objects.exists()
