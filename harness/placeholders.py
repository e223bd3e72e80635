"""{placeholders} in instructions, selectors and rubrics, filled per instance.

A string that is exactly one placeholder ("{dose}") becomes the parameter's value
with its type (a number stays a number, a list a list), so a rubric can say
`"dose": "{dose}"`. A placeholder inside longer text is formatted into it. `{{` and
`}}` are literal braces, as in str.format.
"""

import re
import string
from typing import Any

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
WHOLE = re.compile(rf"^\{{({NAME})\}}$")
_formatter = string.Formatter()


class PlaceholderError(ValueError):
    """A placeholder has no value, or a template is malformed."""


def names_in(value: Any) -> set[str]:
    """Every placeholder name used anywhere in a JSON-like value."""
    found: set[str] = set()
    if isinstance(value, str):
        try:
            parsed = list(_formatter.parse(value))
        except ValueError as error:
            raise PlaceholderError(f"malformed braces in {value!r}: {error}") from None
        for _, field, _, _ in parsed:
            if field is None:
                continue
            if not re.fullmatch(NAME, field):
                raise PlaceholderError(f"{{{field}}} in {value!r} is not a placeholder name (letters, digits, _)")
            found.add(field)
    elif isinstance(value, list):
        for item in value:
            found |= names_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            found |= names_in(item)
    return found


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return str(value)


def fill(value: Any, params: dict, *, partial: bool = False) -> Any:
    """`value` with its placeholders replaced from `params`.

    partial=True leaves placeholders without a value as they are (authoring-time
    checks know the variants but not yet the patient or the chart).
    """
    if isinstance(value, str):
        whole = WHOLE.match(value)
        if whole:
            name = whole.group(1)
            if name in params:
                return params[name]
            if partial:
                return value
            raise PlaceholderError(f"{{{name}}} has no value")
        names = names_in(value)
        if not names:
            return value.replace("{{", "{").replace("}}", "}") if not partial else value
        missing = names - set(params)
        if missing and not partial:
            raise PlaceholderError(f"{', '.join('{' + n + '}' for n in sorted(missing))} has no value")
        if missing:
            return value
        return value.format_map({name: _text(params[name]) for name in names})
    if isinstance(value, list):
        return [fill(item, params, partial=partial) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, params, partial=partial) for key, item in value.items()}
    return value
