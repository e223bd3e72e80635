"""A task of the library solved the way a BrowserGym agent works, in real headless Chromium: it reads only the
observation's `axtree_txt` (BrowserGym's flattened accessibility tree), finds elements by role and name, and
answers with BrowserGym action strings. The rubric scores it as it scores the browser oracle: full success."""

import ast
import re

import pytest

from agentenv.models import Episode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE_ALLERGIES = "ehr/navigation-and-chart-review.active-allergies-v1"
_LINE = re.compile(r"""^(\t*)(?:\[([^\]]+)\] )?(\S+)(?: ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))?""")


def tree(axtree_txt: str) -> list[dict]:
    """The flattened tree's lines as nodes: depth (tabs), bid, role, name."""
    nodes = []
    for line in axtree_txt.split("\n"):
        depth, bid, role, name = _LINE.match(line).groups()
        nodes.append({"depth": len(depth), "bid": bid, "role": role, "name": ast.literal_eval(name) if name else ""})
    return nodes


def children(nodes: list[dict], index: int) -> list[dict]:
    """The nodes below nodes[index] (deeper lines right after it)."""
    below = []
    for node in nodes[index + 1:]:
        if node["depth"] <= nodes[index]["depth"]:
            break
        below.append(node)
    return below


def find_bid(nodes: list[dict], role: str, name: str) -> str:
    return next(n["bid"] for n in nodes if n["role"] == role and n["name"] == name and n["bid"])


def rows(nodes: list[dict]) -> list[list[dict]]:
    """Each table row's cells and links."""
    return [children(nodes, i) for i, node in enumerate(nodes) if node["role"] == "row"]


def tables(nodes: list[dict]) -> list[list[list[dict]]]:
    """Each table's rows (the header row first)."""
    return [rows(children(nodes, i)) for i, node in enumerate(nodes) if node["role"] == "table"]


def step(api, episode_id: str, action: str) -> dict:
    response = api.post(f"/api/v1/episodes/{episode_id}/step", {"action": action}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["observation"]["last_action_error"] is None, (action, body["observation"])
    return body


def test_a_browsergym_agent_solves_a_task_from_the_axtree_txt_alone(ehr, alice_api):
    reset = alice_api.post("/api/v1/episodes", {"task_id": ACTIVE_ALLERGIES, "seed": 0, "mode": "browser"},
                           format="json")
    assert reset.status_code == 201, reset.content
    episode_id, observation = reset.json()["episode_id"], reset.json()["observation"]
    mrn = re.search(r"\(MRN (\w+)\)", observation["goal"])[1]

    # Search the patient list for the MRN (two calls in one action, as BrowserGym allows).
    search = find_bid(tree(observation["axtree_txt"]), "searchbox", "Search")
    found = tree(step(alice_api, episode_id, f"fill('{search}', '{mrn}')\npress('{search}', 'Enter')")[
        "observation"]["axtree_txt"])
    patient_row = next(row for row in rows(found) if any(c["role"] == "cell" and c["name"] == mrn for c in row))
    link = next(node["bid"] for node in patient_row if node["role"] == "link")

    chart = tree(step(alice_api, episode_id, f"click('{link}')")["observation"]["axtree_txt"])
    # The chart's first link named Allergies is its tab (the storyboard and summary have their own).
    allergies = tree(step(alice_api, episode_id, f"click('{find_bid(chart, 'link', 'Allergies')}')")[
        "observation"]["axtree_txt"])

    active = []
    for table in tables(allergies):
        header = [c["name"] for c in table[0] if c["role"] == "columnheader"]
        if not {"Substance", "Status"} <= set(header):
            continue
        substance, status = header.index("Substance"), header.index("Status")
        for row in table[1:]:
            cells = [c["name"] for c in row if c["role"] in ("cell", "rowheader")]
            if cells[status] == "Active":
                active.append(cells[substance])
    answer = "; ".join(sorted(set(active), key=str.lower)) or "none"
    done = step(alice_api, episode_id, f"send_msg_to_user({answer!r})")

    assert done["terminated"] is True
    rubric = done["info"]["rubric"]
    assert rubric["success"] is True, rubric
    assert all(row["passed"] for row in rubric["criteria"] if row["kind"] == "answer_matches")
    episode = Episode.objects.get(pk=episode_id)
    assert (episode.status, episode.success, episode.score) == (Episode.Status.TERMINATED, True, pytest.approx(1.0))
    assert episode.answer == answer
