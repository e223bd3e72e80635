"""Writes actions.py: one method per semantic action, from the server's GET /api/v1/actions.

    EHRGYM_BASE_URL=http://127.0.0.1:8000 EHRGYM_TOKEN=... python -m ehrgym_client._codegen

The tests regenerate the module from a live server and fail when it differs from the
committed one, so the methods a model is offered never drift from what the server accepts.
"""

import json
import sys
import textwrap
from pathlib import Path

# Browser actions need a page (browser mode); the tool environment acts through the API.
BROWSER_ACTIONS = frozenset({
    "click", "dblclick", "hover", "focus", "fill", "clear", "select_option", "press", "scroll", "mouse_click",
    "keyboard_type", "goto", "go_back", "go_forward", "noop", "browsergym",
})
MODULE = Path(__file__).with_name("actions.py")
RETURNS = "The action's result as text, or the error that kept it from being done."
WIDTH = 116


class CodegenError(Exception):
    """An action schema has a shape this generator cannot write as a Python signature."""


def python_type(schema: dict) -> str:
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        inner = " | ".join(python_type(option) for option in options)
        return f"{inner} | None" if len(options) < len(schema["anyOf"]) else inner
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(value) for value in schema["enum"]) + "]"
    kind = schema.get("type")
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if kind in simple:
        return simple[kind]
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"list[{python_type(schema['items'])}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"dict[str, {python_type(schema['additionalProperties'])}]"
    raise CodegenError(f"no Python type for the schema {json.dumps(schema)}")


def _default(value) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _wrapped(text: str, indent: str) -> list[str]:
    """A description as docstring lines: its own line breaks kept, long lines wrapped."""
    lines = []
    for line in text.strip().splitlines():
        lines += textwrap.wrap(line, WIDTH - len(indent), break_long_words=False, break_on_hyphens=False) or [""]
    return [f"{indent}{line}".rstrip() for line in lines]


def _param_line(param: str) -> str:
    """One parameter of a multi-line signature; a long Literal gets one value a line."""
    line = f"        {param},\n"
    if len(line) <= WIDTH + 4 or "Literal[" not in param:
        return line
    head, _, rest = param.partition("Literal[")
    values, _, tail = rest.partition("]")
    inner = "".join(f"            {value.strip()},\n" for value in values.split(","))
    return f"        {head}Literal[\n{inner}        ]{tail},\n"


def _method(spec: dict) -> list[str]:
    name, schema = spec["type"], spec["json_schema"]
    properties = {key: value for key, value in schema.get("properties", {}).items() if key != "type"}
    required = [key for key in properties if key in schema.get("required", [])]
    optional = [key for key in properties if key not in required]
    params = [f"{key}: {python_type(properties[key])}" for key in required]
    params += [f"{key}: {python_type(properties[key])} = {_default(properties[key].get('default'))}"
               for key in optional]
    signature = f"    def {name}(self{''.join(', ' + p for p in params)}) -> str:"
    if len(signature) > WIDTH + 4:
        signature = f"    def {name}(\n" + "".join(_param_line(p) for p in ["self", *params]) + "    ) -> str:"
    description = spec.get("description") or schema.get("description") or name
    lines = _wrapped(description, "        ")
    doc = ['        """' + lines[0].strip(), *lines[1:]]
    if properties:
        doc += ["", "        Args:"]
        for key in required + optional:
            text = _wrapped(f"{key}: {properties[key].get('description') or key}", "            ")
            doc += [text[0], *("    " + line for line in text[1:])]
    doc += ["", "        Returns:", f"            {RETURNS}", '        """']
    arguments = ", ".join(f'"{key}": {key}' for key in required + optional)
    call = f'        return self._act("{name}", {{{arguments}}})'
    if len(call) > WIDTH + 4:
        call = (f'        return self._act("{name}", {{\n'
                + "".join(f'            "{key}": {key},\n' for key in required + optional) + "        })")
    return [signature, *doc, call, ""]


def render_module(actions: list[dict]) -> str:
    """actions.py for the actions GET /api/v1/actions lists (browser actions left out)."""
    semantic = [spec for spec in actions if spec["type"] not in BROWSER_ACTIONS]
    lines = [
        '"""The semantic actions as methods, one per action type, for tool-calling models (generated: do not edit).',
        "",
        "Written by `python -m ehrgym_client._codegen` from the server's GET /api/v1/actions. Each method's",
        "signature and Google-style docstring are what TRL (and transformers' chat templates) show the model;",
        "its call sends that action to the episode. The class is mixed into EHRGymToolEnv, which defines `_act`.",
        '"""',
        "",
        "from typing import Literal",
        "",
        "",
        "class SemanticActions:",
        '    """One public method per semantic action (and the terminal ones: answer, finish, report_infeasible)."""',
        "",
    ]
    for spec in semantic:
        lines += _method(spec)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    from ehrgym_client.client import EHRGymClient
    from ehrgym_client.errors import EHRGymError

    try:
        with EHRGymClient.from_env() as client:
            actions = [{"type": a.type, "description": a.description, "json_schema": a.json_schema}
                       for a in client.actions()]
        MODULE.write_text(render_module(actions))
    except (EHRGymError, CodegenError) as error:
        print(f"codegen: {error}", file=sys.stderr)
        return 1
    print(f"wrote {MODULE} ({sum(1 for a in actions if a['type'] not in BROWSER_ACTIONS)} actions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
