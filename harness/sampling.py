"""Which instance a seed picks: stratified by answer class, within a train or held-out split.

A question whose answers are unevenly spread rewards a constant guess: if 18 of 20 patients'
A1c falls in the prediabetes range, "prediabetes range" solves 90% of the instances without
reading the chart. So a seed first picks an *answer class* (the instances that expect the
same answers), uniformly, then an instance within it: the best constant answer then solves
at most the share of classes it matches, which `tasks stats` reports per template (the
library keeps it at or below 25%).

The instance space can also be split: every instance is in `train` or in `heldout` by a
stable hash of (task, variant, patient), one in five held out. Evaluations draw from the
held-out split, training datasets from the train split, so a policy is scored on instances
it never saw (same task and seed always give the same instance, within a split).

Classes are computed from the golden database (each instance's rubric rendered from its
chart: about a millisecond each) once per task definition and golden build, per process.
"""

import hashlib
import json
import os
import random
import threading
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections

from clinical.display_precision import display_decimals
from harness.rubrics import RubricContext
from harness.rubrics.answers import NONE_ANSWERS
from harness.rubrics.base import criterion_parse

SPLITS = ("train", "heldout")
HELDOUT_PERCENT = 20


@dataclass(frozen=True)
class Entry:
    variant: int
    mrn: str
    answer_class: str  # the expected answers, as JSON ("" for a task without a question)
    answers: tuple  # the answer criteria of the rendered rubric (raw JSON), for scoring constant answers


def _rank(task_id: str, entry: "Entry") -> int:
    """A stable number for the instance (not Python's salted hash): the same on every machine."""
    digest = hashlib.sha256(f"{task_id}|{entry.variant}|{entry.mrn}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def in_split(task_id: str, task_entries: list["Entry"], split: str) -> list["Entry"]:
    """The instances of a split: one in five held out, and at least one whenever there are two."""
    heldout = [entry for entry in task_entries if _rank(task_id, entry) % 100 < HELDOUT_PERCENT]
    if not heldout and len(task_entries) >= 2:
        heldout = [min(task_entries, key=lambda entry: _rank(task_id, entry))]
    if split == "heldout":
        return heldout
    chosen = set(heldout)
    return [entry for entry in task_entries if entry not in chosen]


def _answer_criteria(rubric: list) -> list[dict]:
    found = []
    for raw in rubric:
        if raw.get("kind") == "answer_matches":
            found.append(raw)
        found += _answer_criteria(raw.get("criteria", []))
    return found


def _as_shown(value, loincs: list[str] | None = None):
    """An expected value as the answer check tells values apart: numbers at the precision the chart prints
    (2.15 and 2.2 are one answer; 2 and 2.0 too; a result of the criterion's `loinc` at its analyte's display
    precision, ALT 28.13 and 27.8 both 28), lists item by item."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        if loincs:
            return round(float(value), min(display_decimals(loinc, value) for loinc in loincs))
        return float(round(value)) if abs(value) >= 1000 else round(float(value), 1)
    if isinstance(value, list):
        return [_as_shown(item, loincs) for item in value]
    return str(value).strip().lower()


def _loincs(answer: dict) -> list[str] | None:
    loinc = answer.get("loinc")
    return [loinc] if isinstance(loinc, str) else loinc


def _class_key(answers: list[dict]) -> str:
    return json.dumps([_as_shown(answer.get("expected"), _loincs(answer)) for answer in answers], sort_keys=True,
                      default=str)


def _golden_build(using: str) -> str:
    """A key that changes when the golden database is rebuilt (or, on SQLite, written), read without connecting to
    it: every reset asks, and on PostgreSQL a connection to the golden database makes every copy of it started
    meanwhile wait (CREATE DATABASE ... TEMPLATE is refused while anyone is connected to the template), which made
    the warm pool's refills fall behind a burst of resets. A rebuild publishes a new database (a new oid) on
    PostgreSQL, a new file on SQLite."""
    name = str(connections[using].settings_dict["NAME"])
    if connections[using].vendor == "postgresql":
        with connections["default"].cursor() as cursor:  # pg_database is shared by every database of the server
            cursor.execute("SELECT oid FROM pg_database WHERE datname = %s", [name])
            row = cursor.fetchone()
        return f"{name}@{row[0] if row else 'missing'}"
    try:
        stat = os.stat(name)
    except OSError:
        return f"{name}@missing"
    return f"{name}@{stat.st_ino}:{stat.st_mtime_ns}"


class NoInstance(Exception):
    """The task's selector admits patients, but the chart supports none of their instances."""


def entries(task, *, using: str = "golden") -> list[Entry]:
    """Every instance of the task with its answer class, in a stable order (instances the chart cannot
    support, a fact it cannot read, are left out: a reset could not render them either)."""
    found, problem = _entries_once((task.task_id, task.updated_at.isoformat(), _golden_build(using), using))
    if not found and problem:
        raise NoInstance(problem)
    return list(found)


_computing: dict[tuple, threading.Lock] = {}  # one per task and golden build: a few per task
_computing_guard = threading.Lock()


def _entries_once(key: tuple) -> tuple[tuple[Entry, ...], str]:
    """_entries(*key), computed by one thread while the others asking for the same key wait for its result.

    The first burst of resets after a server started computed a task's instances in every request running at once
    (up to EHRGYM_MAX_CONCURRENT_API_REQUESTS per process, each reading the whole population's facts on the golden
    database, which the warm pool cannot copy while anyone is connected to it). With two web processes, a first
    burst of 32 resets took 10 s; with one computation per process, 1.5 s (0.4 s once computed)."""
    with _computing_guard:
        lock = _computing.setdefault(key, threading.Lock())
    with lock:
        return _entries(*key)


@lru_cache(maxsize=256)
def _entries(task_id: str, _version: str, _build: str, using: str) -> tuple[tuple[Entry, ...], str]:
    from agentenv.routing import bind_alias
    from agentenv.snapshots import golden_name
    from harness.instances import InstanceError, Plan, instance_render, instance_space
    from harness.selectors import task_get

    task = task_get(task_id=task_id)
    found, problem = [], ""
    try:
        space = instance_space(task, using=using)
        with bind_alias(using, golden_name()):
            for variant, mrn in space:
                try:
                    rendered = instance_render(plan=Plan(task=task, seed=0, variant=variant, patient_mrn=mrn))
                except InstanceError as error:
                    problem = problem or str(error)  # the chart cannot support it: the reset would refuse it too
                    continue
                answers = _answer_criteria(rendered.rubric)
                found.append(Entry(variant, mrn, _class_key(answers), tuple(json.dumps(a) for a in answers)))
    finally:
        # PostgreSQL copies the golden database as a template: nobody may stay connected to it.
        if not connections[using].in_atomic_block:
            connections[using].close()
    return tuple(found), problem


def pick(candidates: list[Entry], seed: int) -> Entry:
    """The instance a seed picks: a class uniformly, then an instance of it uniformly."""
    rng = random.Random(seed)
    classes = sorted({entry.answer_class for entry in candidates})
    chosen = classes[rng.randrange(len(classes))]
    members = [entry for entry in candidates if entry.answer_class == chosen]
    return members[rng.randrange(len(members))]


# --- How well a constant answer does ------------------------------------------------------------


def _as_text(expected) -> str:
    if isinstance(expected, list):
        return "; ".join(str(item) for item in expected) or "none"
    return str(expected)


def _candidates(classes: dict[str, Entry]) -> list[str]:
    """Constant answers worth trying: every class's own answer, the choices, and "none"-like answers."""
    texts = {"-1", "0", "none", *sorted(NONE_ANSWERS)[:3]}
    for entry in classes.values():
        answers = [json.loads(a) for a in entry.answers]
        texts.add(", ".join(_as_text(a.get("expected")) for a in answers))
        for answer in answers:
            texts.update(answer.get("choices") or [])
    return sorted(texts)


def constant_answer_share(task_entries: list[Entry]) -> dict:
    """The answer classes of a question and the share of instances (as seeds sample them) that the best
    single constant answer solves."""
    return _constant_answer_share(tuple(task_entries))


@lru_cache(maxsize=256)
def _constant_answer_share(task_entries: tuple[Entry, ...]) -> dict:
    questions = [entry for entry in task_entries if entry.answers]
    if not questions:
        return {"answer_classes": 0, "best_constant_share": None, "best_constant": None, "class_sizes": {}}
    classes: dict[str, Entry] = {}
    sizes: dict[str, int] = {}
    for entry in questions:
        classes.setdefault(entry.answer_class, entry)
        sizes[entry.answer_class] = sizes.get(entry.answer_class, 0) + 1
    criteria = {key: [criterion_parse(json.loads(raw)) for raw in entry.answers] for key, entry in classes.items()}
    best, best_share = None, -1.0
    for answer in _candidates(classes):
        solved = sum(1 for key, entry in classes.items()
                     if all(c.check(RubricContext(patient_mrn=entry.mrn, answer=answer)).passed for c in criteria[key]))
        share = solved / len(classes)
        if share > best_share:
            best, best_share = answer, share
    return {"answer_classes": len(classes), "best_constant_share": round(best_share, 4), "best_constant": best,
            "class_sizes": dict(sorted(sizes.items(), key=lambda item: -item[1])[:5])}
