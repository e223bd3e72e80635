"""The `browsergym` action: a BrowserGym action string, so BrowserGym and AgentLab agents run unchanged.

`{"type": "browsergym", "action": "fill('patient-list-search', 'Garcia')\\npress('patient-list-search', 'Enter')"}`

The string is read by agentenv.actions.browsergym_parse (never executed) into EHRGym's own
actions, which run here one after the other through their handlers: the same clicks on the
same bids, the same `answer` and `report_infeasible`, so audit, scoring and oracles do not
know the difference. As in BrowserGym, the calls of one string run without an observation
between them (each waits for the page the previous one led to); the first that fails stops
the rest and is the step's error.
"""

from typing import Literal

import pydantic
from pydantic import Field
from selenium.common.exceptions import WebDriverException

from agentenv.actions.browser import BrowserAction
from agentenv.actions.browsergym_parse import MAX_CHARS, BrowserGymSyntaxError, browsergym_calls
from agentenv.actions.registry import ActionContext, ActionError, ActionResult, action, handler_for, parse_action
from agentenv.browser.scripts import page_settle
from agentenv.browser.sessions import current_session


class BrowserGym(BrowserAction):
    """A BrowserGym action string: calls of its high-level action set (click, dblclick, hover, fill,
    select_option, clear, press, focus, scroll, goto, go_back, go_forward, noop, mouse_click,
    keyboard_press, keyboard_type, send_msg_to_user, report_infeasible), one a line."""

    type: Literal["browsergym"] = Field(description="Action type.")
    action: str = Field(min_length=1, max_length=MAX_CHARS,
                        description="BrowserGym action source, e.g. \"click('12')\" or \"fill('7', 'text')\"; "
                                    "several calls run in order, one a line. Bids are the [bid]s of axtree_txt. "
                                    "send_msg_to_user(text) gives the answer and ends the episode.")


def _validation_message(source: str, error: pydantic.ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in item['loc'][1:]) or 'action'}: {item['msg']}"
             for item in error.errors(include_url=False)]
    return f"{source}: " + "; ".join(parts)


@action(BrowserGym)
def browsergym(act: BrowserGym, context: ActionContext) -> ActionResult:
    session = current_session()
    if session is None:
        raise ActionError('BrowserGym actions need a browser-mode episode: reset with "mode": "browser".')
    try:
        calls = browsergym_calls(act.action)
    except BrowserGymSyntaxError as error:
        raise ActionError(str(error)) from None
    parsed = []
    for source, raw in calls:
        try:
            parsed.append((source, parse_action(raw)))
        except pydantic.ValidationError as error:
            raise ActionError(_validation_message(source, error)) from None
    results: list[tuple[str, ActionResult]] = []
    for number, (source, call) in enumerate(parsed, start=1):
        if number > 1:
            _settle(session)
        try:
            results.append((source, handler_for(call)(call, context)))
        except ActionError as error:
            done = f" (the {number - 1} call(s) before it ran)" if number > 1 else ""
            raise ActionError(f"{source} failed{done}: {error}") from None
    last = results[-1][1]
    data = last.data if len(results) == 1 else {"results": [{"action": s, "result": r.data} for s, r in results]}
    return ActionResult(data=data, route=last.route, open_mrn=last.open_mrn, terminal=last.terminal,
                        answer=last.answer)


def _settle(session) -> None:
    try:
        session.perform(page_settle)
    except WebDriverException as error:
        raise ActionError(f"The page did not settle after the previous call: {error.msg or error}") from None
