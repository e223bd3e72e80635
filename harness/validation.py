"""The rules a task must follow, with one message per problem, keyed by field.

Task.clean() raises them (admin forms show each under its field) and `tasks sync`
refuses a library template that breaks them. Placeholders are checked against what
will fill them: variant keys everywhere, patient fields and facts in the instruction
and the rubric (they are read from the chart at reset).
"""

import re

import pydantic

from harness import facts as fact_registry
from harness.cohorts import selector_parse
from harness.placeholders import NAME, PlaceholderError, fill, names_in
from harness.rubrics import RubricError, rubric_parse

PATIENT_FIELDS = ("mrn", "patient_name", "given_name", "family_name", "full_name", "dob", "age", "sex")


def _pydantic_lines(error: pydantic.ValidationError) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            lines.append(f"unknown key {where!r}")
        elif item["type"] == "missing":
            lines.append(f"{where!r} is required")
        else:
            lines.append(f"{where}: {message}" if where else message)
    return lines


def _variant_errors(variants) -> tuple[list[str], list[dict]]:
    if not isinstance(variants, list):
        return [f"must be a JSON list of objects, got {type(variants).__name__}"], [{}]
    errors, keys = [], None
    for i, variant in enumerate(variants, start=1):
        if not isinstance(variant, dict):
            errors.append(f"variant {i}: must be a JSON object")
            continue
        bad = [key for key in variant if not re.fullmatch(NAME, key)]
        if bad:
            errors.append(f"variant {i}: keys must be names (letters, digits, _): {', '.join(bad)}")
        clash = sorted(set(variant) & set(PATIENT_FIELDS))
        if clash:
            errors.append(f"variant {i}: {', '.join(clash)} is a patient field; rename it")
        if keys is None:
            keys = set(variant)
        elif set(variant) != keys:
            errors.append(f"variant {i}: has keys {sorted(variant)}, variant 1 has {sorted(keys)}; all need the same")
    usable = [v for v in variants if isinstance(v, dict)] or [{}]
    return errors, usable


def _fact_errors(facts, variants: list[dict]) -> tuple[list[str], set[str]]:
    if not isinstance(facts, dict):
        return [f"must be a JSON object of name: fact, got {type(facts).__name__}"], set()
    errors, names = [], set()
    for name, spec in facts.items():
        if not re.fullmatch(NAME, name):
            errors.append(f"{name!r}: a fact's name must be a name (letters, digits, _)")
            continue
        if name in PATIENT_FIELDS or name in variants[0]:
            errors.append(f"{name!r}: already a patient field or a variant key; rename it")
            continue
        if not isinstance(spec, dict) or spec.get("fact") not in fact_registry.FACTS:
            known = ", ".join(sorted(fact_registry.FACTS))
            errors.append(f"{name!r}: needs \"fact\": one of {known}")
            continue
        kind = fact_registry.FACTS[spec["fact"]]
        names |= {name, *(f"{name}_{field}" for field in kind.fields)}
        for i, variant in enumerate(variants, start=1):
            try:
                args = fill({k: v for k, v in spec.items() if k != "fact"}, variant)
                kind.args.model_validate(args)
            except PlaceholderError as error:
                errors.append(f"{name!r}: {error} (facts may use variant keys only)")
                break
            except pydantic.ValidationError as error:
                errors += [f"{name!r} (variant {i}): {line}" for line in _pydantic_lines(error)]
                break
    return errors, names


def _selector_errors(selector, variants: list[dict]) -> list[str]:
    if not isinstance(selector, dict):
        return [f"must be a JSON object, got {type(selector).__name__}"]
    for i, variant in enumerate(variants, start=1):
        try:
            selector_parse(fill(selector, variant))
        except PlaceholderError as error:
            return [f"{error} (a selector may use variant keys only)"]
        except pydantic.ValidationError as error:
            prefix = f"variant {i}: " if len(variants) > 1 else ""
            return [prefix + line for line in _pydantic_lines(error)]
    return []


def _placeholder_errors(value, known: set[str]) -> list[str]:
    try:
        unknown = sorted(names_in(value) - known)
    except PlaceholderError as error:
        return [str(error)]
    if not unknown:
        return []
    return [f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"known: {', '.join('{' + n + '}' for n in sorted(known))}"]


def _rubric_errors(rubric, variants: list[dict], known: set[str]) -> list[str]:
    errors = _placeholder_errors(rubric, known)
    if errors:
        return errors
    for variant in variants:
        try:
            rubric_parse(fill(rubric, variant, partial=True))
        except RubricError as error:
            return error.messages
    return []


def task_errors(task) -> dict[str, list[str]]:
    from harness.library import library_load
    from harness.oracles import ORACLES

    errors: dict[str, list[str]] = {}

    def add(field: str, messages: list[str]):
        if messages:
            errors.setdefault(field, []).extend(messages)

    match = re.match(r"^ehr/(?P<domain>[a-z0-9-]+)\.", task.task_id or "")
    if match and task.domain and match.group("domain") != task.domain:
        add("task_id", [f"the id's domain {match.group('domain')!r} is not the task's domain {task.domain!r}"])
    variant_problems, variants = _variant_errors(task.variants)
    add("variants", variant_problems)
    fact_problems, fact_names = _fact_errors(task.facts, variants)
    add("facts", fact_problems)
    add("patient_selector", _selector_errors(task.patient_selector, variants))
    known = set(PATIENT_FIELDS) | set(variants[0]) | fact_names
    add("instruction", _placeholder_errors(task.instruction or "", known))
    add("rubric", _rubric_errors(task.rubric, variants, known))
    library_load()
    if task.oracle and task.oracle not in ORACLES:
        add("oracle", [f"no oracle {task.oracle!r} is registered; known: {', '.join(sorted(ORACLES)) or 'none'}"])
    return errors
