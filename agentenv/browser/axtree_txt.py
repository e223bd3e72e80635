"""The accessibility tree in BrowserGym's flattened text form (its `axtree_txt` observation).

BrowserGym's agents (and AgentLab's prompts) read the page as browsergym.utils.obs.flatten_axtree_to_str
prints it: one node a line, a tab of indent per level, `[bid] role 'name'` with the name as a Python
literal, then ` value='...'` and the node's properties after commas:

    RootWebArea 'Orders · EHRGym'
    \t[orders-search-input] searchbox 'Search orderables' value='', focused, required
    \t[composer-prn] checkbox 'PRN', checked='false'

This is made from the observation's own `axtree` (agentenv/browser/axtree.js), line by line, so both
show the same nodes with the same bids: a BrowserGym action on a bid read here acts on that element.
As BrowserGym does, it leaves out the properties it ignores (level, readonly, invalid), nameless
containers without properties (their children move up a level) and text that repeats its parent's name.
"""

import re

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
# One axtree.js line: `[bid] role "name" value="..." states`; all but the role optional.
_LINE = re.compile(rf'^( *)(?:\[([^\]]+)\] )?(\S+)(?: {_QUOTED})?(?: value={_QUOTED})?(.*)$')
_STATE = re.compile(rf'(\w+)(?:=(?:{_QUOTED}|(\S+)))?')
# Roles whose value BrowserGym prints even when empty (Chromium gives every text field a value).
_VALUED_ROLES = frozenset({"textbox", "searchbox", "spinbutton", "combobox", "slider"})
_SKIPPED_WHEN_BARE = frozenset({"group", "generic", "none", "presentation"})


def _unquote(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\\(.)", r"\1", text)


def _properties(states: str) -> tuple[list[str], str]:
    """(BrowserGym's property strings, the placeholder if any) of axtree.js's states."""
    properties, placeholder = [], ""
    for match in _STATE.finditer(states):
        name, quoted, bare = match[1], _unquote(match[2]), match[3]
        value = quoted if quoted is not None else bare
        if name in ("focused", "required"):
            properties.append(name)
        elif name in ("checked", "unchecked"):
            properties.append(f"checked={value or ('true' if name == 'checked' else 'false')!r}")
        elif name in ("expanded", "collapsed"):
            properties.append(f"expanded={name == 'expanded'!r}")
        elif name in ("disabled", "selected"):
            properties.append(f"{name}=True")
        elif name == "current":
            properties.append(f"current={value!r}")
        elif name == "placeholder":
            placeholder = value or ""
        # level, readonly, invalid: properties BrowserGym leaves out.
    return properties, placeholder


def axtree_txt_of(axtree: str) -> str:
    """The flattened BrowserGym text of an axtree.js tree."""
    out: list[str] = []
    # (axtree depth, printed depth, name) of the open ancestors.
    stack: list[tuple[int, int, str]] = []
    for line in axtree.splitlines():
        match = _LINE.match(line)
        if not match or not line.strip():
            continue
        indent, bid, role, name, value, states = match.groups()
        depth = len(indent) // 2
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent_depth, parent_name = (stack[-1][1], stack[-1][2]) if stack else (-1, "")
        name, value = _unquote(name) or "", _unquote(value)
        properties, placeholder = _properties(states)
        name = name or placeholder  # Chromium names a field by its placeholder when nothing else names it
        if value is None and role in _VALUED_ROLES:
            value = ""
        bare = not name and not properties and value is None
        redundant = role == "StaticText" and name in parent_name
        if (role in _SKIPPED_WHEN_BARE and bare and (bid is None or role != "generic")) or redundant:
            stack.append((depth, parent_depth, parent_name))
            continue
        text = role if role == "generic" and not name else f"{role} {name.strip()!r}"
        if bid is not None:
            text = f"[{bid}] {text}"
        if value is not None:
            text += f" value={value!r}"
        if properties:
            text += "".join(f", {p}" for p in properties)
        out.append("\t" * (parent_depth + 1) + text)
        stack.append((depth, parent_depth + 1, name))
    return "\n".join(out)
