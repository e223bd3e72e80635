"""Property-based tests of the semantic actions (hypothesis): whatever an agent sends as an action,
a step answers with an observation (the action done, or the error that kept it from being done) or
a 400 that names the problem, never a server error, and the episode stays usable.

Actions are drawn from each type's own JSON schema (GET /api/v1/actions): each field either a value
of its declared type (extremes included: 1e308, 10**30, year 1) or any JSON value at all.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentenv.actions.registry import action_schemas
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN
from agentenv.tests.test_actions_orders import BMP, LISINOPRIL, catalog  # noqa: F401

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden", "catalog")]
RESET = "/api/v1/episodes"
SCHEMAS = action_schemas()
TERMINAL = {"answer", "finish", "report_infeasible"}

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=60),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
# Values the EHR holds, so that actions get past "no such patient" into their real work.
KNOWN = {"mrn": [MARIA_MRN, JAMES_MRN], "orderable": [LISINOPRIL, BMP, "potassium-chloride"],
         "code": ["4548-4", "2823-3", "44054006"], "section": ["results", "medications", "orders"]}


def typed(schema: dict) -> st.SearchStrategy:
    if "anyOf" in schema:
        return st.one_of([typed(option) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "string":
        return st.text(max_size=schema.get("maxLength", 60)) | st.sampled_from(
            ["", "0001-01-01", "9999-12-31T23:59:59", "2026-11-30", "1e308", "../../etc/passwd"])
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e308, -1e308, 0.0, 1e-300])
    if kind == "integer":
        return st.integers(min_value=-(10**30), max_value=10**30)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(typed(schema.get("items", {})), max_size=3)
    if kind == "null":
        return st.none()
    return ANY_JSON


@st.composite
def actions(draw) -> dict:
    action_type = draw(st.sampled_from(sorted(set(SCHEMAS) - TERMINAL)))
    schema = SCHEMAS[action_type]
    action = {"type": action_type}
    for name, field in schema.get("properties", {}).items():
        if name == "type" or (name not in schema.get("required", ()) and draw(st.booleans())):
            continue
        choices = [typed(field), ANY_JSON] + ([st.sampled_from(KNOWN[name])] if name in KNOWN else [])
        action[name] = draw(st.one_of(choices))
    if draw(st.integers(0, 9)) == 0:
        action[draw(st.text(min_size=1, max_size=8))] = draw(ANY_JSON)  # a field no action has
    return action


def test_any_action_gets_an_observation_or_a_400_never_a_server_error(alice_api):
    episode = {"id": None}

    def fresh_episode() -> str:
        response = alice_api.post(RESET, {"patient_mrn": MARIA_MRN, "instruction": "Work the chart.",
                                          "step_limit": 1000}, format="json")
        assert response.status_code == 201, response.content
        return response.json()["episode_id"]

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
    @given(action=actions())
    def step_once(action):
        if episode["id"] is None:
            episode["id"] = fresh_episode()
        response = alice_api.post(f"{RESET}/{episode['id']}/step", {"action": action}, format="json")
        assert response.status_code in (200, 400), (action, response.status_code, response.content[:500])
        if response.status_code == 200:
            body = response.json()
            assert "observation" in body and isinstance(body["reward"], float)
            if body["terminated"] or body["truncated"]:
                episode["id"] = None

    step_once()
