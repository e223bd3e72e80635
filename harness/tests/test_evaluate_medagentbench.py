"""`evaluate --agent llm --interface medagentbench`: a scripted model speaks MedAgentBench's GET / POST / FINISH
protocol to the episode's FHIR API; its GETs are answered from the episode's chart, its POSTs executed and scored.

The model is a real local HTTP server (harness.tests.fake_model) whose replies are computed from the
conversation, as a model's would be: it reads the question and the answers it got."""

import json
import re

import pytest
from django.core.management.base import CommandError

from agentenv.models import Episode
from harness.agents.medagentbench import finishing_action, parse_reply
from harness.tests.conftest import ENV_DBS
from harness.tests.evaluation_support import evaluate
from harness.tests.fake_model import model  # noqa: F401 (fixture)

pytestmark = ENV_DBS
RECORD_BP = "ehr/documentation.record-blood-pressure-v1"
LATEST_GLUCOSE = "ehr/endocrinology.latest-glucose-v1"


def _said(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _prompt(payload: dict) -> tuple[str, str]:
    """(api_base, question) of the first message."""
    first = payload["messages"][0]["content"]
    base = re.search(r"use (\S+) as api_base", first).group(1)
    return base, first.split("Question: ", 1)[1]


def blood_pressure_clinician(payload: dict) -> dict:
    """Turn 1: POST the reading the question gives, MedAgentBench's way; then FINISH([])."""
    base, question = _prompt(payload)
    if len(payload["messages"]) > 1:
        return _said("FINISH([])")
    mrn = re.search(r"MRN (\w+)", question).group(1)
    systolic, diastolic = re.search(r"(\d+)/(\d+) mmHg", question).groups()
    resource = {"resourceType": "Observation", "status": "final",
                "category": [{"coding": [{"system": "http://hl7.org/fhir/observation-category",
                                          "code": "vital-signs", "display": "Vital Signs"}]}],
                "code": {"text": "BP"}, "effectiveDateTime": "2026-11-20T10:15:00+00:00",
                "valueString": f"{systolic}/{diastolic} mmHg", "subject": {"reference": f"Patient/{mrn}"}}
    return _said(f"POST {base}Observation\n{json.dumps(resource)}")


def glucose_reader(payload: dict) -> dict:
    """Turn 1: GET the newest glucose; turn 2: FINISH with the value the answer held."""
    base, question = _prompt(payload)
    if len(payload["messages"]) == 1:
        mrn = re.search(r"MRN (\w+)", question).group(1)
        return _said(f"GET {base}Observation?patient={mrn}&code=2345-7,2339-0&_sort=-date&_count=1&_format=json")
    bundle = json.loads(payload["messages"][-1]["content"].split("\n", 1)[1])
    return _said(f"FINISH([{bundle['entry'][0]['resource']['valueQuantity']['value']}])")


def _episode(summary: dict) -> Episode:
    return Episode.objects.get(pk=summary["data"]["episodes"][0]["episode_id"])


def test_a_post_is_executed_and_scored(chart, model, tmp_path):  # noqa: F811
    model.respond = blood_pressure_clinician

    summary = evaluate(tmp_path / "mab", agent="llm", interface="medagentbench", task=RECORD_BP, episodes=1, seed=2)

    assert summary["success_rate"] == 1.0
    episode = _episode(summary)
    assert [step.action["type"] for step in episode.steps.order_by("index")] == ["record_vitals", "finish"]
    assert len(model.requests) == 2
    reply = model.requests[1]["messages"][-1]["content"]
    assert reply.startswith("The POST request was executed (HTTP 201)")
    assert "tools" not in model.requests[0]  # a text protocol: no function calling


def test_a_get_is_answered_from_the_episodes_chart_and_finish_answers(chart, model, tmp_path):  # noqa: F811
    model.respond = glucose_reader

    summary = evaluate(tmp_path / "mab", agent="llm", interface="medagentbench", task=LATEST_GLUCOSE, episodes=1,
                       seed=5)

    assert summary["success_rate"] == 1.0
    episode = _episode(summary)
    actions = [step.action for step in episode.steps.order_by("index")]
    assert actions[0] == {"type": "read_chart_section", "section": "results", "mrn": episode.patient_mrn, "limit": 1}
    assert actions[1]["type"] == "answer"
    first = model.requests[0]["messages"][0]["content"]
    assert f"/api/v1/episodes/{episode.pk}/fhir/r4/" in first and "GET {api_base}Observation" in first


def test_replies_outside_the_protocol_are_answered_with_what_to_send(chart, model, tmp_path):  # noqa: F811
    replies = iter(["Let me think about it.", "GET http://elsewhere.example/fhir/Patient", "FINISH(not json)"])
    model.respond = lambda payload: _said(next(replies, "FINISH([])"))

    summary = evaluate(tmp_path / "mab", agent="llm", interface="medagentbench", task=LATEST_GLUCOSE, episodes=1,
                       seed=5)

    feedback = [request["messages"][-1]["content"] for request in model.requests[1:]]
    assert feedback[0].startswith("The reply is none of GET, POST and FINISH")
    assert "the URL must start with the api_base" in feedback[1]
    assert feedback[2].startswith("FINISH's list is not valid JSON")
    assert summary["success_rate"] == 0.0


def test_the_interface_is_the_llm_agents(chart, tmp_path):
    with pytest.raises(CommandError, match="use --agent llm"):
        evaluate(tmp_path / "mab", agent="oracle", interface="medagentbench", task=RECORD_BP, episodes=1, seed=1)


@pytest.mark.parametrize(("text", "verb", "detail"), [
    ("GET http://x/fhir/Patient?name=Ann", "GET", "http://x/fhir/Patient?name=Ann"),
    ("POST http://x/fhir/Observation\n{\"resourceType\": \"Observation\"}", "POST", "{\"resourceType\": "
                                                                                   "\"Observation\"}"),
    ("```\nGET http://x/fhir/Patient\n```", "GET", "http://x/fhir/Patient"),
    ("FINISH([\"S1\", 2.5])", "FINISH", ("S1", 2.5)),
])
def test_replies_are_read_as_medagentbench_writes_them(text, verb, detail):
    request = parse_reply(text)
    assert request.verb == verb
    assert detail in (request.url, request.body, request.answers)


def test_finish_becomes_the_episodes_terminal_action():
    assert finishing_action(()) == {"type": "finish"}
    assert finishing_action(("S123",)) == {"type": "answer", "answer": "S123"}
    assert finishing_action((6.2, "2024-05-01")) == {"type": "answer", "answer": "6.2, 2024-05-01"}
