"""The JSON tool schema of a method, as transformers' `get_json_schema` writes it, without transformers.

The SFT export writes each conversation's `tools` with this, on a server that has no
transformers installed; the tests check it against `get_json_schema` itself for every
action method, so SFT data and GRPO prompts show a model the same tools.
"""

import inspect
import re
import types
from typing import Literal, Union, get_args, get_origin, get_type_hints

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _type_schema(hint) -> dict:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        options = [_type_schema(arg) for arg in args if arg is not type(None)]
        if len(options) == 1:
            schema = options[0]
        elif all(set(option) == {"type"} and isinstance(option["type"], str) for option in options):
            names = sorted({option["type"] for option in options})
            schema = {"type": names[0] if len(names) == 1 else names}
        else:
            schema = {"anyOf": options}
        if type(None) in args:
            schema["nullable"] = True
        return schema
    if origin is Literal:
        kinds = list(dict.fromkeys(_SCALARS[type(value)] for value in args))
        return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": list(args)}
    if origin is list:
        return {"type": "array", "items": _type_schema(args[0])} if args else {"type": "array"}
    if origin is dict:
        if len(args) == 2:
            return {"type": "object", "additionalProperties": _type_schema(args[1])}
        return {"type": "object"}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    raise TypeError(f"no JSON schema for the type hint {hint!r}")


def _docstring(doc: str) -> tuple[str, dict[str, str], str | None]:
    """Description, argument descriptions and return description of a Google-style docstring."""
    parts = re.split(r"\n\s*(Args|Returns|Raises):\n", doc)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    arguments: dict[str, list[str]] = {}
    name, indent = None, 0
    for line in sections.get("Args", "").splitlines():
        match = re.match(r"^([ \t]*)(\w+):\s*(.*)$", line)
        if match and (name is None or len(match.group(1)) <= indent):
            name, indent = match.group(2), len(match.group(1))
            arguments[name] = [match.group(3)]
        elif name is not None and line.strip():
            arguments[name].append(line)  # a continuation line, indented deeper
    joined = {key: re.sub(r"\s*\n+\s*", " ", "\n".join(lines).strip()) for key, lines in arguments.items()}
    return parts[0].strip(), joined, (sections.get("Returns", "").strip() or None)


def tool_schema(function) -> dict:
    """{"type": "function", "function": {name, description, parameters, return}} for a method or function."""
    doc = inspect.getdoc(function)
    if not doc:
        raise ValueError(f"{function.__name__} has no docstring")
    description, argument_docs, returns_doc = _docstring(doc.strip())
    hints = get_type_hints(function)
    signature = inspect.signature(function)
    properties, required = {}, []
    for name, parameter in signature.parameters.items():
        if name in ("self", "cls") and parameter.annotation is inspect.Parameter.empty:
            continue
        if parameter.default is inspect.Parameter.empty:
            required.append(name)
        properties[name] = {**_type_schema(hints[name]), "description": argument_docs[name]}
    parameters = {"type": "object", "properties": properties, **({"required": required} if required else {})}
    output = {"name": function.__name__, "description": description, "parameters": parameters}
    if "return" in hints:
        output["return"] = {**_type_schema(hints["return"]), **({"description": returns_doc} if returns_doc else {})}
    return {"type": "function", "function": output}
