"""A BrowserGym agent in browser mode, in real headless Chromium: it reads `axtree_txt` and answers with
BrowserGym action strings, as it would in BrowserGym."""

import ast
import re

import pytest

from agentenv.models import Episode
from agentenv.tests.browser_support import BROWSER_DBS, RESET, browser_reset, ehr  # noqa: F401
from agentenv.tests.conftest import JAMES_MRN, MARIA_MRN

pytestmark = [pytest.mark.browser, pytest.mark.browser_on_postgres, BROWSER_DBS, pytest.mark.usefixtures("ehr")]

_NODE = re.compile(r"""^(\t*)(?:\[([^\]]+)\] )?(\S+)(?: ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))?(.*)$""")


def nodes(axtree_txt: str) -> list[dict]:
    """Each line of BrowserGym's flattened tree: depth, bid, role, name, the rest."""
    found = []
    for line in axtree_txt.split("\n"):
        depth, bid, role, name, rest = _NODE.match(line).groups()
        found.append({"depth": len(depth), "bid": bid, "role": role,
                      "name": ast.literal_eval(name) if name else None, "rest": rest})
    return found


def bid_of(axtree_txt: str, role: str, name: str) -> str:
    """What a BrowserGym agent does: find the element by its role and name, take its bid."""
    return next(n["bid"] for n in nodes(axtree_txt) if n["role"] == role and n["name"] == name and n["bid"])


def act(api, episode_id: str, action) -> dict:
    """One step with a BrowserGym string (sent bare, as the agent wrote it) or an action object."""
    response = api.post(f"{RESET}/{episode_id}/step", {"action": action}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_observation_has_the_accessibility_tree_in_browsergyms_flattened_form(alice_api):
    observation = browser_reset(alice_api)["observation"]

    text = observation["axtree_txt"]
    lines = text.split("\n")
    assert lines[0] == "RootWebArea 'My Patients · EHRGym'"
    assert all(line.startswith("\t") for line in lines[1:])  # one tab per level below the root
    assert f"[patient-link-{MARIA_MRN}] link 'Garcia, Maria'" in text
    assert "[patient-list-search] searchbox 'Search' value=''" in text
    parsed = nodes(text)
    # Every line is `[bid] role 'name' ...` (or a bid-less node); depth never jumps more than one level down.
    assert all(b["depth"] <= a["depth"] + 1 for a, b in zip(parsed, parsed[1:], strict=False))
    # The same elements with the same bids as the axtree: an action on a bid read here acts on that element.
    assert {n["bid"] for n in parsed if n["bid"]} <= set(re.findall(r"\[([^\]]+)\]", observation["axtree"]))


def test_it_works_the_chart_with_browsergym_action_strings(alice_api):
    body = browser_reset(alice_api)
    episode_id, text = body["episode_id"], body["observation"]["axtree_txt"]
    search = bid_of(text, "searchbox", "Search")

    # Several calls in one action, one a line, run in order (the search is submitted with Enter).
    searched = act(alice_api, episode_id, f"fill('{search}', 'Okafor')\npress('{search}', 'Enter')")
    assert searched["observation"]["last_action_error"] is None
    assert searched["observation"]["route"].startswith("/patients/?q=Okafor")
    assert [r["action"] for r in searched["observation"]["last_action_result"]["results"]] == [
        f"fill('{search}', 'Okafor')", f"press('{search}', 'Enter')"]
    text = searched["observation"]["axtree_txt"]
    assert "'Garcia, Maria'" not in text

    focused = act(alice_api, episode_id, f"focus('{search}')")
    assert f"[{search}] searchbox 'Search' value='Okafor', focused" in focused["observation"]["axtree_txt"]
    sex = act(alice_api, episode_id,
              {"type": "browsergym", "action": "select_option('patient-list-filter-sex', 'Male')"})
    assert sex["observation"]["last_action_result"] == {"selected": ["Male"]}

    chart = act(alice_api, episode_id, f"click('{bid_of(text, 'link', 'Okafor, James')}')")
    assert chart["observation"]["route"] == f"/patients/{JAMES_MRN}/"
    assert chart["observation"]["patient_mrn"] == JAMES_MRN
    back = act(alice_api, episode_id, "go_back()")
    assert back["observation"]["route"].startswith("/patients/?q=Okafor")
    forward = act(alice_api, episode_id, "go_forward()")
    assert forward["observation"]["route"] == f"/patients/{JAMES_MRN}/"
    went = act(alice_api, episode_id, f"goto('/patients/{MARIA_MRN}/allergies/')")
    assert "Penicillin V" in went["observation"]["axtree_txt"]
    assert act(alice_api, episode_id, "scroll(0, 200)\nnoop(0)")["observation"]["last_action_error"] is None

    answered = act(alice_api, episode_id, "send_msg_to_user('Penicillin V')")
    assert answered["terminated"] is True and answered["observation"]["last_action_error"] is None
    episode = Episode.objects.get(pk=episode_id)
    assert (episode.status, episode.answer) == (Episode.Status.TERMINATED, "Penicillin V")
    # The trajectory keeps what the agent sent; axtree_txt is the axtree's, left out of it.
    steps = alice_api.get(f"{RESET}/{episode_id}/trajectory").json()["steps"]
    assert steps[-1]["action"] == {"type": "browsergym", "action": "send_msg_to_user('Penicillin V')"}
    assert steps[-1]["observation"]["axtree_txt"] is None and steps[-1]["observation"]["axtree"]


@pytest.mark.parametrize("action, error", [
    ("click('nope')", "click('nope') failed: No element [nope] on the page"),
    ("click(12)", "bids are strings"),
    ("sign_orders()", "Unknown BrowserGym action 'sign_orders'"),
    ("__import__('os').system('touch /tmp/ehrgym-pwned')", "is not a call of a BrowserGym action"),
    ("click('patient-list-search'", "syntax error"),
    ("scroll(0, 100)\nclick('nope')", "click('nope') failed (the 1 call(s) before it ran): No element [nope]"),
    ("noop(99999)", "noop(99999): wait_ms: Input should be less than or equal to 10000"),
    ("press('patient-list-search', 'Hyper+x')", "Unknown key 'Hyper'"),
])
def test_a_bad_browsergym_string_is_an_observation_error_and_the_episode_goes_on(alice_api, action, error):
    episode_id = browser_reset(alice_api)["episode_id"]

    failed = act(alice_api, episode_id, action)

    assert error in failed["observation"]["last_action_error"]
    assert failed["reward"] < 0 and not failed["terminated"]
    assert failed["observation"]["axtree_txt"].startswith("RootWebArea ")
    assert act(alice_api, episode_id, "noop(0)")["observation"]["last_action_error"] is None
