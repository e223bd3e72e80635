"""read_chart_section "visit": today's visit as data, what the visit navigator shows."""

import pytest

from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, act, start
from agentenv.tests.test_actions_orders import catalog  # noqa: F401 (a fixture: the order catalog in golden)

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden", "catalog")]

LISINOPRIL = "314076"


def ok(step) -> dict:
    assert step.error == "", step.error
    return step.observation["last_action_result"]


def test_there_is_no_visit_until_the_agent_charts_something(alice):
    episode = start(alice)
    visit = ok(act(episode, type="read_chart_section", section="visit", mrn=MARIA_MRN))
    assert visit == {"mrn": MARIA_MRN, "section": "visit", "visit": None}


def test_the_visit_lists_the_vitals_problems_orders_and_notes_charted_in_it(alice):
    episode = start(alice)
    ok(act(episode, type="record_vitals", mrn=MARIA_MRN, values={"heart_rate": 91}))
    ok(act(episode, type="add_problem", mrn=MARIA_MRN, code="271737000", display="Anemia"))
    order = ok(act(episode, type="place_order", mrn=MARIA_MRN, orderable=LISINOPRIL, dose=10))["order"]
    note = ok(act(episode, type="create_note", mrn=MARIA_MRN, note_type="progress", title="Visit note"))["note"]

    step = act(episode, type="read_chart_section", section="visit", mrn=MARIA_MRN)
    visit = ok(step)
    assert step.observation["route"] == f"/patients/{MARIA_MRN}/visit/"
    assert visit["visit"]["open"] is True and visit["visit"]["type"] == "Office visit"
    assert visit["visit"]["end"] is None and visit["visit"]["provider"]
    assert [(v["text"], v["detail"]) for v in visit["vitals"]] == [("Heart rate", "91 /min")]
    assert [p["text"] for p in visit["problems"]] == ["Anemia"]
    assert [(o["id"], o["status"]) for o in visit["orders"]] == [(order["id"], "pended")]
    assert [(n["id"], n["text"], n["status"]) for n in visit["notes"]] == [(note["id"], "Visit note", "draft")]
