"""The LLM agent speaking MedAgentBench's text protocol (`evaluate --agent llm --interface medagentbench`).

MedAgentBench (Jiang et al., NEJM AI 2025) gives the model a FHIR base and a list of functions, and takes one
request a reply: `GET <url>`, `POST <url>` followed by a JSON resource, or `FINISH([answer, ...])`. Here the
base is the episode's own FHIR API (fhirapi), run in this process: every GET is answered from the episode's
chart and recorded as the chart read it amounts to, every POST is executed (the EHR's actions, with decision
support, scored by the task's rubric), and FINISH answers (or, with an empty list, finishes) the episode. The
model gets at most EHRGYM_MEDAGENTBENCH_ROUNDS replies (default 8, MedAgentBench's limit); the endpoint is
configured as for the llm agent (harness.agents.llm).
"""

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agentenv.errors import EpisodeNotRunning
from agentenv.step import episode_step
from fhirapi.capability import capability_statement
from fhirapi.interactions import fhir_get, fhir_post
from fhirapi.outcomes import FHIRError
from fhirapi.scopes import episode_scope_of
from harness.agents.llm import LLMAgent, LLMError, _env_number
from harness.instances import Instance
from harness.runner import Driven

PROMPT = """You work in an electronic health record through its FHIR R4 API, on behalf of a clinician. Make \
one request per reply, in exactly one of these three forms and with nothing else in the reply:

GET url?parameter=value&parameter=value...

POST url
{{the resource, as JSON}}

FINISH([answer1, answer2, ...])

FINISH ends the task once you have every answer and have done everything asked; its list must be valid JSON \
(an empty list when nothing is asked). The functions you may call are below; use {api_base} as api_base.
{functions}

Context: {context}
Question: {question}"""
RESPONSE_LIMIT = 60_000  # characters of a GET answer shown to the model (a whole chart would not fit a context)


def functions(api_base: str) -> list[dict]:
    """The API as MedAgentBench lists functions: one GET per resource type with its search parameters, one POST
    per type that can be created (from the CapabilityStatement, so the list is what is served)."""
    statement = capability_statement(base_url=api_base, date=timezone.now().date().isoformat())
    listed = []
    for resource in statement["rest"][0]["resource"]:
        name = resource["type"]
        listed.append({
            "name": f"GET {{api_base}}{name}", "description": resource.get("documentation", ""),
            "parameters": {"type": "object", "properties": {
                parameter["name"]: {"type": "string", "description": parameter.get("documentation", "")}
                for parameter in resource.get("searchParam", [])}, "required": []}})
        if any(interaction["code"] == "create" for interaction in resource["interaction"]):
            listed.append({"name": f"POST {{api_base}}{name}",
                           "description": f"Create a {name} (a JSON FHIR R4 {name} in the body).",
                           "parameters": {"type": "object", "properties": {
                               "resourceType": {"type": "string", "description": f"Always {name}."}},
                               "required": ["resourceType"]}})
    return listed


@dataclass(frozen=True)
class Request:
    """One reply, read: GET / POST / FINISH, or `problem` when it is none of them."""

    verb: str = ""
    url: str = ""
    body: str = ""
    answers: tuple = ()
    problem: str = ""


def parse_reply(text: str) -> Request:
    text = (text or "").strip()
    if text.startswith("```"):  # a reply fenced as code: its content
        text = text.strip("`").partition("\n")[2].strip() or text.strip("`")
    if text.startswith("GET "):
        return Request("GET", url=text[4:].strip().splitlines()[0].strip())
    if text.startswith("POST "):
        first, _, rest = text[5:].partition("\n")
        return Request("POST", url=first.strip(), body=rest.strip())
    if text.startswith("FINISH(") and text.endswith(")"):
        try:
            answers = json.loads(text[len("FINISH("):-1])
        except json.JSONDecodeError as error:
            return Request(problem=f"FINISH's list is not valid JSON ({error}).")
        return Request("FINISH", answers=tuple(answers) if isinstance(answers, list) else (answers,))
    return Request(problem="The reply is none of GET, POST and FINISH([...]): send exactly one of them, alone.")


def finishing_action(answers: tuple) -> dict:
    """FINISH's list as the episode's terminal action: no answers finish it, else they are its answer."""
    if not answers:
        return {"type": "finish"}
    text = ", ".join(value if isinstance(value, str) else json.dumps(value) for value in answers)
    return {"type": "answer", "answer": text[:2000]}


def episode_fhir_base(episode) -> str:
    """The episode's FHIR base as the model is told it (this server's address, EHRGYM_BROWSER_BASE_URL)."""
    return settings.EHRGYM_BROWSER_BASE_URL.rstrip("/") + reverse("fhir-episode:base",
                                                                  kwargs={"episode_id": str(episode.id)})


class MedAgentBenchAgent:
    name = "llm-medagentbench"

    def __init__(self, *, llm: LLMAgent, rounds: int = 8):
        self.llm, self.rounds = llm, rounds

    @classmethod
    def from_environment(cls) -> "MedAgentBenchAgent":
        return cls(llm=LLMAgent.from_environment(), rounds=_env_number("EHRGYM_MEDAGENTBENCH_ROUNDS", 8, int))

    def drive_episode(self, episode, instance: Instance, observation: dict, *, seed: int) -> Driven:
        """Converse with the model until FINISH, the round limit or the end of the episode."""
        base = episode_fhir_base(episode)
        scope = episode_scope_of(episode, base)
        driven = Driven(episode=episode)
        messages = [{"role": "user", "content": PROMPT.format(
            api_base=base, functions=json.dumps(functions(base)), question=observation["goal"],
            context=f"It is now {timezone.localtime().isoformat(timespec='seconds')} in the EHR's time zone. "
                    "A patient's FHIR id is their MRN.")}]
        try:
            for _ in range(self.rounds):
                reply = self._ask(messages, seed)
                messages.append({"role": "assistant", "content": reply})
                request = parse_reply(reply)
                if request.verb == "FINISH":
                    step = episode_step(episode=scope.runner.episode, action=finishing_action(request.answers))
                    scope.runner.steps.append(step)
                    scope.runner.episode = step.episode
                    break
                messages.append({"role": "user", "content": self._execute(scope, request)})
                if not scope.runner.episode.is_running:
                    break
        except LLMError as error:
            driven.policy_error = f"LLMError: {error}"
        except EpisodeNotRunning:
            pass  # truncated or closed under it: the episode's verdict stands
        driven.steps, driven.episode = scope.runner.steps, scope.runner.episode
        return driven

    def _ask(self, messages: list[dict], seed: int) -> str:
        reply = self.llm.client.complete({"model": self.llm.model, "temperature": self.llm.temperature,
                                          "seed": seed, "messages": messages})
        try:
            return reply["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise LLMError(f"the reply has no choices[0].message: {json.dumps(reply)[:300]}") from None

    def _execute(self, scope, request: Request) -> str:
        if request.problem:
            return request.problem
        if not request.url.startswith(scope.base_url):
            return f"{request.verb} {request.url}: the URL must start with the api_base, {scope.base_url}."
        path, _, query = request.url[len(scope.base_url):].partition("?")
        parts = [part for part in path.split("/") if part]
        try:
            if request.verb == "POST":
                if len(parts) != 1:
                    raise FHIRError(404, "POST goes to {api_base}<ResourceType>.")
                created, location = fhir_post(scope, parts[0], request.body.encode())
                return (f"The POST request was executed (HTTP 201): created {location}. Send your next request, "
                        "or FINISH if you have every answer and have done everything asked.")
            if parts == ["metadata"]:
                answer = capability_statement(base_url=scope.base_url, date=timezone.now().date().isoformat())
            elif len(parts) in (1, 2):
                answer = fhir_get(scope, parts[0], ident=parts[1] if len(parts) == 2 else None,
                                  query=parse_qs(query, keep_blank_values=True))
            else:
                raise FHIRError(404, "GET {api_base}<ResourceType>?<parameters> searches, "
                                     "GET {api_base}<ResourceType>/<id> reads.")
        except FHIRError as error:
            return f"The {request.verb} request failed (HTTP {error.status}):\n{json.dumps(error.outcome())}"
        text = json.dumps(answer)
        if len(text) > RESPONSE_LIMIT:
            text = text[:RESPONSE_LIMIT] + f"... [cut at {RESPONSE_LIMIT} characters: ask for fewer with _count]"
        return f"Here is the response from the GET request:\n{text}"
