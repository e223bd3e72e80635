"""An agent that asks an OpenAI-compatible chat-completions endpoint for each action.

Configuration (environment): EHRGYM_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1; requests
go to <base>/chat/completions), EHRGYM_LLM_MODEL, EHRGYM_LLM_API_KEY (sent as a bearer
token; a local server that ignores it still needs a value), and optionally
EHRGYM_LLM_TIMEOUT (seconds per request, default 60), EHRGYM_LLM_RETRIES (extra attempts
after a timeout, a connection error, 429 or 5xx, default 2), EHRGYM_LLM_TEMPERATURE
(default 0) and EHRGYM_LLM_HISTORY (turns of earlier conversation kept, default 10).

Each turn the agent sends: a system message (the role and the rules), the first
observation, the last EHRGYM_LLM_HISTORY turns, and the newest observation as a user
message (the observation JSON). Every semantic action is a tool (function name = action
type, parameters = the action's JSON schema without `type`), with `tool_choice: "auto"`.

The reply's first tool call is the action. Other tool calls in the same reply are
answered "not run: one action per turn". A reply with no tool call ends the episode with
`finish` (its text, if any, as the finish message): the model chose to stop. Tool
arguments that are not a JSON object are sent as they are, so the environment reports
an invalid action and the model sees the error next turn. An endpoint that still fails
after the retries raises LLMError: the episode is closed without a terminal action and
the report counts it as an agent error.
"""

import json
import os
import time
import urllib.error
import urllib.request

from harness.agents import AgentUnavailable
from harness.agents.actions import semantic_action_schemas
from harness.instances import Instance

SYSTEM_PROMPT = (
    "You are a clinician working in an electronic health record (EHRGym). Each user message is the "
    "current observation as JSON: `goal` is your task, `last_action_result` and `last_action_error` "
    "show what your last action did. Act by calling exactly one tool per turn. Read the chart before "
    "changing it. End with `answer` (a question), `finish` (a task done) or `report_infeasible`."
)
RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


class LLMError(Exception):
    """The endpoint could not give a usable reply."""


def _env_number(name: str, default: float, cast=float):
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError:
        raise AgentUnavailable(f"{name} must be a number; got {raw!r}.") from None


def tool_definitions() -> list[dict]:
    """One function per semantic action, from the action registry's JSON schemas."""
    tools = []
    for name, schema in semantic_action_schemas().items():
        properties = {key: value for key, value in schema.get("properties", {}).items() if key != "type"}
        parameters = {"type": "object", "properties": properties,
                      "required": [key for key in schema.get("required", []) if key != "type"],
                      "additionalProperties": False}
        if "$defs" in schema:
            parameters["$defs"] = schema["$defs"]
        tools.append({"type": "function",
                      "function": {"name": name, "description": schema.get("description", ""),
                                   "parameters": parameters}})
    return tools


class ChatClient:
    """POSTs chat-completions requests with a timeout and retries with backoff."""

    def __init__(self, *, base_url: str, api_key: str, timeout: float, retries: int, backoff: float = 1.0):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key, self.timeout, self.retries, self.backoff = api_key, timeout, retries, backoff

    def complete(self, payload: dict) -> dict:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                problem = f"HTTP {error.code}: {error.read()[:300].decode(errors='replace')}"
                if error.code not in RETRY_STATUSES:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                problem = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            except json.JSONDecodeError as error:
                problem = f"the reply is not JSON: {error}"
        raise LLMError(f"{self.url} failed after {attempt + 1} attempt(s): {problem}")


class LLMAgent:
    name = "llm"

    def __init__(self, *, client: ChatClient, model: str, temperature: float = 0.0, history: int = 10):
        self.client, self.model, self.temperature, self.history = client, model, temperature, history

    @classmethod
    def from_environment(cls) -> "LLMAgent":
        missing = [name for name in ("EHRGYM_LLM_BASE_URL", "EHRGYM_LLM_MODEL", "EHRGYM_LLM_API_KEY")
                   if not os.environ.get(name, "").strip()]
        if missing:
            raise AgentUnavailable(f"The llm agent needs {', '.join(missing)} set: the base URL of an "
                                   "OpenAI-compatible endpoint (…/v1), the model name and an API key.")
        client = ChatClient(base_url=os.environ["EHRGYM_LLM_BASE_URL"].strip(),
                            api_key=os.environ["EHRGYM_LLM_API_KEY"].strip(),
                            timeout=_env_number("EHRGYM_LLM_TIMEOUT", 60.0),
                            retries=_env_number("EHRGYM_LLM_RETRIES", 2, int))
        return cls(client=client, model=os.environ["EHRGYM_LLM_MODEL"].strip(),
                   temperature=_env_number("EHRGYM_LLM_TEMPERATURE", 0.0),
                   history=_env_number("EHRGYM_LLM_HISTORY", 10, int))

    def _ask(self, first: dict, turns: list[list[dict]], tools: list[dict], seed: int) -> dict:
        kept = [message for turn in turns[-self.history:] for message in turn] if self.history > 0 else []
        payload = {"model": self.model, "temperature": self.temperature, "seed": seed, "tools": tools,
                   "tool_choice": "auto",
                   "messages": [{"role": "system", "content": SYSTEM_PROMPT}, first, *kept]}
        reply = self.client.complete(payload)
        try:
            return reply["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise LLMError(f"the reply has no choices[0].message: {json.dumps(reply)[:300]}") from None

    def policy(self, instance: Instance, observation: dict, *, seed: int):
        tools = tool_definitions()
        first = {"role": "user", "content": json.dumps(observation)}
        turns: list[list[dict]] = []
        pending: list[dict] = []  # this turn's messages: the assistant's call, the tool replies, the observation
        while True:
            message = self._ask(first, turns + ([pending] if pending else []), tools, seed)
            calls = message.get("tool_calls") or []
            if not calls:
                yield {"type": "finish", "message": (message.get("content") or "")[:2000]}
                return
            call = calls[0]
            name = call["function"]["name"]
            raw = call["function"].get("arguments") or "{}"
            try:
                arguments = json.loads(raw)
            except json.JSONDecodeError:
                arguments = None
            action = {**arguments, "type": name} if isinstance(arguments, dict) else {"type": name, "arguments": raw}
            if pending:
                turns.append(pending)
            observation = yield action
            pending = [
                {"role": "assistant", "content": message.get("content"), "tool_calls": calls},
                *({"role": "tool", "tool_call_id": other["id"],
                   "content": "Run; the observation follows." if other is call else "Not run: one action per turn."}
                  for other in calls),
                {"role": "user", "content": json.dumps(observation)},
            ]
