"""BrowserGym action strings, read safely: `click('12')`, `fill('7', 'metformin')`, one call a line.

BrowserGym's agents (and AgentLab's) answer with Python source calling the functions of its
high-level action set (browsergym.core.action.functions). BrowserGym runs that source; EHRGym
never does. The string is parsed with `ast`, and only a call of a known function name with
literal arguments (strings, numbers, lists of strings) is accepted, then turned into the
EHRGym action dict that does the same thing (browser actions on bids, `answer`,
`report_infeasible`). Anything else (attribute access, names, nested calls, *args, an unknown
function) is a BrowserGymSyntaxError with a message the agent can act on.

The signatures (parameter names, order and defaults) are BrowserGym's, so keyword and positional
forms both work: `noop()` waits 1000 ms as it does there, `press` takes (bid, key_comb).
"""

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

MAX_CHARS = 20_000
MAX_CALLS = 10
TERMINAL_FUNCTIONS = ("send_msg_to_user", "report_infeasible")

# BrowserGym functions EHRGym does not offer: named so the error says "not supported", not "unknown".
UNSUPPORTED = (
    "check", "uncheck", "drag_and_drop", "upload_file", "mouse_upload_file", "new_tab", "tab_close", "tab_focus",
    "mouse_move", "mouse_up", "mouse_down", "mouse_dblclick", "mouse_drag_and_drop", "keyboard_up",
    "keyboard_down", "get_element_html",
)


class BrowserGymSyntaxError(ValueError):
    """The string is not a BrowserGym action EHRGym can run (the message says why)."""


@dataclass(frozen=True)
class _Function:
    params: tuple[tuple[str, str], ...]  # (name, kind) in BrowserGym's order
    build: Callable[..., dict]
    defaults: dict = field(default_factory=dict)


FUNCTIONS: dict[str, _Function] = {
    "click": _Function(
        (("bid", "str"), ("button", "str"), ("modifiers", "str_list")),
        lambda bid, button, modifiers: {"type": "click", "bid": bid, "button": button, "modifiers": modifiers},
        {"button": "left", "modifiers": []}),
    "dblclick": _Function(
        (("bid", "str"), ("button", "str"), ("modifiers", "str_list")),
        lambda bid, button, modifiers: _dblclick(bid, button, modifiers),
        {"button": "left", "modifiers": []}),
    "hover": _Function((("bid", "str"),), lambda bid: {"type": "hover", "bid": bid}),
    "focus": _Function((("bid", "str"),), lambda bid: {"type": "focus", "bid": bid}),
    "clear": _Function((("bid", "str"),), lambda bid: {"type": "clear", "bid": bid}),
    "fill": _Function((("bid", "str"), ("value", "str")),
                      lambda bid, value: {"type": "fill", "bid": bid, "value": value}),
    "select_option": _Function((("bid", "str"), ("options", "str_or_list")),
                               lambda bid, options: {"type": "select_option", "bid": bid, "options": options}),
    "press": _Function((("bid", "str"), ("key_comb", "str")),
                       lambda bid, key_comb: {"type": "press", "bid": bid, "key_comb": key_comb_of(key_comb)}),
    "scroll": _Function((("delta_x", "number"), ("delta_y", "number")),
                        lambda delta_x, delta_y: {"type": "scroll", "dx": round(delta_x), "dy": round(delta_y)}),
    "mouse_click": _Function(
        (("x", "number"), ("y", "number"), ("button", "str")),
        lambda x, y, button: {"type": "mouse_click", "x": round(x), "y": round(y), "button": button},
        {"button": "left"}),
    "keyboard_press": _Function((("key", "str"),), lambda key: {"type": "press", "key_comb": key_comb_of(key)}),
    "keyboard_type": _Function((("text", "str"),), lambda text: {"type": "keyboard_type", "text": text}),
    "keyboard_insert_text": _Function((("text", "str"),), lambda text: {"type": "keyboard_type", "text": text}),
    "goto": _Function((("url", "str"),), lambda url: {"type": "goto", "url": url}),
    "go_back": _Function((), lambda: {"type": "go_back"}),
    "go_forward": _Function((), lambda: {"type": "go_forward"}),
    "noop": _Function((("wait_ms", "number"),), lambda wait_ms: {"type": "noop", "wait_ms": round(wait_ms)},
                      {"wait_ms": 1000}),
    "send_msg_to_user": _Function((("text", "str"),), lambda text: {"type": "answer", "answer": text}),
    "report_infeasible": _Function((("reason", "str"),),
                                   lambda reason: {"type": "report_infeasible", "reason": reason}),
}


def _dblclick(bid: str, button: str, modifiers: list[str]) -> dict:
    if button != "left" or modifiers:
        raise BrowserGymSyntaxError("dblclick: only a left double-click without modifier keys is supported.")
    return {"type": "dblclick", "bid": bid}


# Playwright's key names (which BrowserGym passes through) that EHRGym's `press` spells otherwise.
_KEY_NAMES = {
    "ControlOrMeta": "Control", "Backquote": "`", "Minus": "-", "Equal": "=", "Backslash": "\\",
    "BracketLeft": "[", "BracketRight": "]", "Semicolon": ";", "Quote": "'", "Comma": ",", "Period": ".",
    "Slash": "/",
}


def key_comb_of(key_comb: str) -> str:
    """A Playwright key combination ("ControlOrMeta+KeyA") in the names EHRGym's press takes ("Control+a")."""
    parts = key_comb[:-2].split("+") + ["+"] if key_comb.endswith("++") else key_comb.split("+")
    named = []
    for part in parts:
        if re.fullmatch(r"Key[A-Z]", part):
            part = part[-1].lower()
        elif re.fullmatch(r"Digit[0-9]", part):
            part = part[-1]
        named.append(_KEY_NAMES.get(part, part))
    return "+".join(named)


def browsergym_calls(text: str) -> list[tuple[str, dict]]:
    """The calls of a BrowserGym action string, in order: (the call's source, the EHRGym action dict)."""
    source = text.strip()
    if not source:
        raise BrowserGymSyntaxError("The BrowserGym action is empty: write a call such as click('12') or noop().")
    if len(source) > MAX_CHARS:
        raise BrowserGymSyntaxError(f"The BrowserGym action is {len(source)} characters; at most {MAX_CHARS}.")
    try:
        module = ast.parse(source, mode="exec")
    except SyntaxError as error:
        raise BrowserGymSyntaxError(f"Not a BrowserGym action: Python syntax error on line {error.lineno} "
                                    f"({error.msg}). Write calls such as fill('12', 'text'), one a line.") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise BrowserGymSyntaxError(f"Not a BrowserGym action: {error}.") from None
    if not module.body:
        raise BrowserGymSyntaxError("The BrowserGym action has no call: write e.g. click('12') or noop().")
    if len(module.body) > MAX_CALLS:
        raise BrowserGymSyntaxError(f"{len(module.body)} calls in one action; at most {MAX_CALLS}.")
    calls = [_call(statement, source) for statement in module.body]
    for index, (call_source, action) in enumerate(calls):
        if action["type"] in ("answer", "report_infeasible") and index != len(calls) - 1:
            raise BrowserGymSyntaxError(f"{call_source} ends the episode: it must be the last call of the action.")
    return calls


def browsergym_actions(text: str) -> list[dict]:
    """The EHRGym action dicts of a BrowserGym action string."""
    return [action for _, action in browsergym_calls(text)]


def scored_action(action: dict) -> dict:
    """The action a rubric judges a step by: for a BrowserGym string, the EHRGym action of its last call (the
    one that ends the episode, if any: `report_infeasible('...')` is judged as report_infeasible); one per step,
    so step counts stay step counts. Anything else, and a string that does not parse, as it is."""
    if not isinstance(action, dict) or action.get("type") != "browsergym" or not isinstance(action.get("action"), str):
        return action
    scored = _last_call(action["action"])
    return action if scored is None else copy.deepcopy(scored)


@lru_cache(maxsize=4096)
def _last_call(text: str) -> dict | None:
    """Every step scores the episode's earlier actions again (agentenv.rewards): parsing each BrowserGym string
    once, not once a step, keeps step 200 of an episode as cheap as step 1 (a string took 27 to 89 µs to parse)."""
    try:
        return browsergym_actions(text)[-1]
    except BrowserGymSyntaxError:
        return None


def _call(statement: ast.stmt, source: str) -> tuple[str, dict]:
    segment = (ast.get_source_segment(source, statement) or "").strip()
    shown = segment if len(segment) <= 80 else segment[:77] + "..."
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name)):
        raise BrowserGymSyntaxError(f"Line {statement.lineno}: {shown!r} is not a call of a BrowserGym action; "
                                    "only calls such as click('12') are allowed, one a line.")
    call = statement.value
    name = call.func.id
    function = FUNCTIONS.get(name)
    if function is None:
        if name in UNSUPPORTED:
            raise BrowserGymSyntaxError(f"{name} is a BrowserGym action EHRGym does not support; supported: "
                                        f"{', '.join(FUNCTIONS)}.")
        raise BrowserGymSyntaxError(f"Unknown BrowserGym action {name!r}; supported: {', '.join(FUNCTIONS)}.")
    arguments = _arguments(name, function, call)
    return shown, function.build(**arguments)


def _arguments(name: str, function: _Function, call: ast.Call) -> dict:
    names = [param for param, _ in function.params]
    if len(call.args) > len(names):
        raise BrowserGymSyntaxError(f"{name} takes at most {len(names)} arguments ({', '.join(names) or 'none'}), "
                                    f"got {len(call.args)}.")
    given: dict[str, ast.expr] = {}
    for param, node in zip(names, call.args, strict=False):
        if isinstance(node, ast.Starred):
            raise BrowserGymSyntaxError(f"{name}: *arguments are not allowed; write each argument out.")
        given[param] = node
    for keyword in call.keywords:
        if keyword.arg is None:
            raise BrowserGymSyntaxError(f"{name}: **arguments are not allowed; write each argument out.")
        if keyword.arg not in names:
            raise BrowserGymSyntaxError(f"{name} has no argument {keyword.arg!r}; its arguments are "
                                        f"{', '.join(names) or 'none'}.")
        if keyword.arg in given:
            raise BrowserGymSyntaxError(f"{name}: argument {keyword.arg!r} is given twice.")
        given[keyword.arg] = keyword.value
    values = {}
    for param, kind in function.params:
        if param in given:
            values[param] = _literal(name, param, kind, given[param])
        elif param in function.defaults:
            values[param] = function.defaults[param]
        else:
            raise BrowserGymSyntaxError(f"{name} needs the argument {param!r} ({name}({', '.join(names)})).")
    return values


_KIND_WORDS = {"str": "a string", "str_list": "a list of strings", "str_or_list": "a string or a list of strings",
               "number": "a number"}


def _literal(name: str, param: str, kind: str, node: ast.expr):
    """The value of a literal argument; names, calls and expressions are refused, never evaluated."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise BrowserGymSyntaxError(f"{name}: argument {param!r} must be a literal ({_KIND_WORDS[kind]}), "
                                    f"not an expression.") from None
    is_text_list = isinstance(value, list) and all(isinstance(item, str) for item in value)
    fits = {
        "str": isinstance(value, str),
        "str_list": is_text_list,
        "str_or_list": isinstance(value, str) or is_text_list,
        "number": isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e9,
    }[kind]
    if not fits:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        example = " (bids are strings: click('12'), not click(12))" if param == "bid" else ""
        raise BrowserGymSyntaxError(f"{name}: argument {param!r} must be {_KIND_WORDS[kind]}, got {shown}{example}.")
    return value
