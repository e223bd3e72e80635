"""How an episode reads as text to a language model: the task, each observation, each tool result.

One format for every text interface, so that what a model learns in one it meets in the
others: the TRL tool environment (tool results), the SFT export of trajectories (the same
messages, written from stored steps) and the Gymnasium environment (observations, kept
within its character set).
"""

import json
import string
import unicodedata

from ehrgym_client.types import Observation

SYSTEM_PROMPT = (
    "You are a clinician working in an electronic health record (EHRGym). Work on the task with the tools: "
    "call one tool at a time and read its result before the next. Read the chart before changing it. "
    "End the task with answer (a question), finish (a task done) or report_infeasible (a task that must not "
    "or cannot be done)."
)
# Tool results longer than this are cut (a chart section can run to tens of thousands of
# characters, and a tool result spends the rollout's completion budget).
DEFAULT_RESULT_CHARS = 3000
TERMINAL_ACTIONS = ("answer", "finish", "report_infeasible")

# Printable ASCII with newline and tab: prose, JSON and clinical notation (after `to_charset`).
PROSE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " \n\t"
_PROSE = frozenset(PROSE_CHARSET)
# Characters a chart uses that have a plain-ASCII spelling; the rest go through Unicode decomposition.
_SPELLED = {"µ": "u", "μ": "u", "°": " deg", "±": "+/-", "≥": ">=", "≤": "<=", "×": "x", "÷": "/", "–": "-",
            "—": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " ", "\r": ""}


def to_charset(text: str) -> str:
    """`text` in PROSE_CHARSET: common clinical symbols spelled out, accents dropped, anything else as '?'."""
    out = []
    for char in text:
        if char in _PROSE:
            out.append(char)
        elif char in _SPELLED:
            out.append(_SPELLED[char])
        else:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append("".join(c for c in plain if c in _PROSE) or "?")
    return "".join(out)


def clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    note = f" ... [cut: {len(text) - limit} more characters]"
    return text[: max(0, limit - len(note))] + note


def task_text(first: Observation, *, result_chars: int | None = DEFAULT_RESULT_CHARS) -> str:
    """The first user message of an episode: its task, then its first observation (as reset returns it)."""
    return f"Task: {first.goal}\n\n{observation_text(first, goal=False, result_chars=result_chars)}"


def first_observation(*, goal: str, step_limit: int) -> Observation:
    """What reset shows in API mode: the goal, no action yet, no chart open (for trajectories, which keep
    only the observations after each step)."""
    return Observation(goal=goal, route="", patient_mrn=None, last_action_result=None, last_action_error=None,
                       step=0, step_limit=step_limit)


def _result_line(observation: Observation, limit: int | None) -> str:
    if observation.last_action_error:
        return f"Error: {observation.last_action_error}"
    if observation.last_action_result is None:
        return "No action yet."
    result = json.dumps(observation.last_action_result, ensure_ascii=False, separators=(",", ":"))
    return clip(f"Result: {result}", limit)


def _page_lines(observation: Observation) -> list[str]:
    """Browser mode: the page the agent is on."""
    if observation.axtree is None and observation.url is None:
        return []
    lines = [f"Page: {observation.title or ''} ({observation.url or observation.route})"]
    if observation.focused_bid:
        lines.append(f"Focused: [{observation.focused_bid}]")
    if observation.axtree:
        lines.append(observation.axtree)
    return lines


def observation_text(observation: Observation, *, goal: bool = True, terminated: bool = False,
                     truncated: bool = False, result_chars: int | None = DEFAULT_RESULT_CHARS) -> str:
    """One observation as text: the last action's result (or error), where the agent is, and the end."""
    lines = [f"Goal: {observation.goal}"] if goal else []
    lines.append(_result_line(observation, result_chars))
    lines.append(f"Step {observation.step} of {observation.step_limit}; open chart: "
                 f"{observation.patient_mrn or 'none'}.")
    lines += _page_lines(observation)
    if terminated:
        lines.append("The episode has ended.")
    elif truncated:
        lines.append("The step limit is reached: the episode has ended.")
    return "\n".join(lines)


def tool_call(action: dict) -> dict:
    """An action as an assistant's tool call (TRL's and transformers' chat format)."""
    arguments = {key: value for key, value in action.items() if key != "type"}
    return {"type": "function", "function": {"name": action.get("type", ""), "arguments": arguments}}


def sft_messages(*, goal: str, step_limit: int, steps: list[dict],
                 result_chars: int | None = DEFAULT_RESULT_CHARS) -> list[dict]:
    """A trajectory as a tool-calling conversation, as the TRL tool environment shows it.

    `steps`: each step's `action`, `observation` (JSON), `terminated` and `truncated`, in order.
    The model's turns are the tool calls; each tool result is the step's observation text; a
    last short assistant turn closes the episode, as a model should once it has ended.
    """
    first = first_observation(goal=goal, step_limit=step_limit)
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": task_text(first)}]
    for step in steps:
        action = step["action"] if isinstance(step.get("action"), dict) else {}
        messages.append({"role": "assistant", "content": "", "tool_calls": [tool_call(action)]})
        observation = Observation.from_json(step.get("observation") or {})
        messages.append({"role": "tool", "name": action.get("type", ""), "content": observation_text(
            observation, goal=False, terminated=bool(step.get("terminated")), truncated=bool(step.get("truncated")),
            result_chars=result_chars)})
    if steps and (steps[-1].get("terminated") or steps[-1].get("truncated")):
        messages.append({"role": "assistant", "content": "Done."})
    return messages
