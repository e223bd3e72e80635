"""The clinical review table (issue 13) covers every template, is what the README shows, and states the
numbers the templates use: a dose or cut-off changed in a template without its review fails here."""

import re

import pytest

from harness.library import TaskTemplate, library_load
from harness.library.clinical_review import README, REVIEW, readme_table, review_table

PLACEHOLDER = re.compile(r"^\{(\w+)\}$")
DOSE_KEYS = ("dose", "dose_min", "dose_max")
# Fact parameters that are clinical numbers (per-kg doses, steps, caps, stability margins); band bounds are
# read separately. Clock offsets and draw indexes are instance design, not clinical thresholds.
FACT_KEYS = ("per_kg", "per_kg_min", "per_kg_max", "round_to", "cap", "stable_within")
# Selector cut-offs of kidney function and vaccine intervals, wherever they sit in the selector.
SELECTOR_KEYS = ("min", "away_from", "below", "latest_below", "years")
SELECTOR_RULES = ("kidney_function", "lacks_reduced_egfr", "lacks_recent_immunization", "has_observation",
                  "lacks_observation")


def _dicts(value):
    """Every dict nested in value (criteria inside any_of and gate, selector rules), value's own included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def _resolved(task: TaskTemplate, value) -> list:
    """The values a field takes over the template's instances: a single placeholder stands for each variant's
    value of that key, or for each label of a banded fact (famotidine's "{dose}" is 20 or 10); anything else,
    including a placeholder filled only per patient ("{vancomycin_min}"), is itself."""
    match = PLACEHOLDER.match(value) if isinstance(value, str) else None
    if not match:
        return [value]
    name = match.group(1)
    if name in task.facts and "bands" in task.facts[name]:
        return [label for _, label in task.facts[name]["bands"]]
    variants = [variant[name] for variant in task.variants if name in variant]
    return variants or [value]


def _numbers(task: TaskTemplate, value) -> set[float]:
    found = set()
    for item in _resolved(task, value):
        for element in item if isinstance(item, list) else [item]:
            if isinstance(element, bool) or element is None:
                continue
            try:
                found.add(float(element))
            except (TypeError, ValueError):
                continue  # a placeholder filled per patient, or text
    return found


def _text(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _missing(numbers: set[float], thresholds: str) -> list[str]:
    """The numbers the thresholds text does not state (as a number of its own: 2 is not found in 2.5 or 250)."""
    return [_text(n) for n in sorted(numbers)
            if not re.search(rf"(?<![\d.]){re.escape(_text(n))}(?!\d|\.\d)", thresholds)]


def _dose_numbers(task: TaskTemplate) -> set[float]:
    numbers = set()
    for criterion in _dicts(task.rubric):
        if criterion.get("kind") == "order_placed":
            for key in DOSE_KEYS:
                numbers |= _numbers(task, criterion.get(key))
    return numbers


def _cutoff_numbers(task: TaskTemplate) -> set[float]:
    numbers = set()
    for fact in task.facts.values():
        for key in FACT_KEYS:
            numbers |= _numbers(task, fact.get(key))
        for bound, _ in fact.get("bands", []):
            numbers |= _numbers(task, bound) - {0.0}  # the open bottom band's 0 is no threshold
    for rule in SELECTOR_RULES:
        for resolved in _resolved(task, task.patient_selector.get(rule)):
            for found in _dicts(resolved):
                for key in SELECTOR_KEYS:
                    numbers |= _numbers(task, found.get(key))
    return numbers


TEMPLATES = library_load()


def test_every_template_has_a_review_with_a_source_and_thresholds():
    assert sorted(set(TEMPLATES) - set(REVIEW)) == []
    for task_id, review in REVIEW.items():
        assert review.source.strip(), task_id
        assert review.thresholds.strip(), task_id


def test_no_review_is_left_without_its_template():
    assert sorted(set(REVIEW) - set(TEMPLATES)) == []


def test_the_table_refuses_a_library_and_a_review_out_of_step(monkeypatch):
    monkeypatch.setitem(REVIEW, "ehr/cardiology.no-such-template-v1", REVIEW[next(iter(REVIEW))])
    with pytest.raises(ValueError, match="no-such-template"):
        review_table()


def test_the_table_has_one_row_per_template_in_task_id_order():
    rows = review_table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == sorted(TEMPLATES)


def test_the_readme_shows_the_table_as_generated():
    assert readme_table(README.read_text()) == review_table(), (
        "harness/README.md's clinical review is stale: python manage.py shell -c "
        "\"from harness.library.clinical_review import readme_update; readme_update()\"")


DOSED = sorted(task_id for task_id, task in TEMPLATES.items() if _dose_numbers(task))


def test_the_check_reaches_the_templates_that_order_drugs():
    # Nested criteria (any_of, regimens), variant doses and banded facts are all read: a template whose
    # doses the walk missed would pass the next test vacuously.
    assert {"ehr/infectious-disease.uncomplicated-cystitis-v1", "ehr/nephrology.renal-dose-famotidine-v1",
            "ehr/laboratory-medicine.magnesium-replacement-v1", "ehr/cardiology.heart-failure-admission-v1",
            "ehr/behavioral-health.ssri-safe-analgesia-v1"} <= set(DOSED)
    assert _dose_numbers(TEMPLATES["ehr/nephrology.renal-dose-famotidine-v1"]) == {10.0, 20.0}
    assert _dose_numbers(TEMPLATES["ehr/laboratory-medicine.potassium-replacement-v1"]) == {10.0, 20.0, 30.0, 40.0}


@pytest.mark.parametrize("task_id", DOSED)
def test_every_dose_a_template_orders_is_in_its_thresholds(task_id):
    missing = _missing(_dose_numbers(TEMPLATES[task_id]), REVIEW[task_id].thresholds)
    assert missing == [], f"{task_id}: doses {missing} are not in the review's thresholds"


CUT = sorted(task_id for task_id, task in TEMPLATES.items() if _cutoff_numbers(task))


@pytest.mark.parametrize("task_id", CUT)
def test_every_band_weight_based_dose_and_kidney_cut_off_is_in_its_thresholds(task_id):
    missing = _missing(_cutoff_numbers(TEMPLATES[task_id]), REVIEW[task_id].thresholds)
    assert missing == [], f"{task_id}: numbers {missing} are not in the review's thresholds"


def test_a_number_is_found_only_as_a_number_of_its_own():
    assert _missing({2.0, 0.5, 250.0}, "2.5 g, 0.5 mg, 250 mL") == ["2"]
    assert _missing({3.375, 2000.0}, "3.375 or 4.5 g; 2000 mg") == []
