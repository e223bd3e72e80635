"""Builders for what the library's templates repeat: the criteria most rubrics share, the templates of the
recurring families (a question answered from one section of the chart, a result's trend), and the vitals
that an instruction states, a criterion checks and an oracle records."""

from harness.library import TaskTemplate, answered_from, template

# A variant's vital-sign parameter (as instructions name it) and the vital it is charted as.
VITALS = {"sbp": "bp_systolic", "dbp": "bp_diastolic", "hr": "heart_rate", "rr": "respiratory_rate",
          "temp": "temperature", "spo2": "spo2", "weight": "weight"}


def closing_criteria(max_steps: int) -> list[dict]:
    """What a task that works in a chart ends its rubric with: no other patient's chart touched, and the
    step budget."""
    return [{"kind": "other_patients_untouched"}, {"kind": "step_budget", "max_steps": max_steps}]


def vitals_recorded(label: str, *params: str, weight: float = 1, **details) -> dict:
    """The criterion: the vitals the instruction states (the variant's `params`, e.g. "sbp") were recorded."""
    return {"kind": "vitals_recorded", "weight": weight, "label": label,
            "values": {VITALS[name]: f"{{{name}}}" for name in params}, **details}


def record_vitals(instance, *params: str) -> dict:
    """The oracle's action: record the vitals the instruction states (the instance's `params`)."""
    return {"type": "record_vitals", "mrn": instance.patient_mrn,
            "values": {VITALS[name]: instance.params[name] for name in params}}


def signed_order(label: str, code, *, weight: float = 1, priority="routine", **details) -> dict:
    """The criterion: an order of this code (or one of these codes) signed with this priority; `details`
    pin the rest (order_type, dose, route, frequency...)."""
    return {"kind": "order_placed", "weight": weight, "label": label, "code": code, **details,
            "priority": priority, "status": "signed"}


def no_order_of(label: str, drug_class: list[str], *, severity: str = "critical") -> dict:
    """The constraint: no drug of these classes ordered (by default a critical safety violation)."""
    return {"kind": "order_absent", "label": label, "drug_class": drug_class, "severity": severity}


def order_branch(*, order: bool) -> dict:
    """A conditional order task's branch, as variant parameters: whether its order criteria apply. A goal that
    does not apply has weight 0 and is not required; a constraint that does not apply has severity none and
    is not required (neither moves the score)."""
    return {"order_weight": 3 if order else 0, "order_required": order,
            "absent_severity": "none" if order else "critical", "absent_required": not order}


def note_signed(label: str, note_type: str, *findings: dict, weight: float = 3) -> dict:
    """The criterion: a signed note of this type states each finding in a sentence."""
    return {"kind": "note_signed", "weight": weight, "label": label, "note_type": note_type,
            "findings": list(findings)}


def chart_question(*, section: str, answers: list[dict], label: str = "", weight: float = 1, max_steps: int,
                   step_limit: int, tier: str = "skill", **fields) -> TaskTemplate:
    """A question answered from one section of the patient's chart: the answers count only if that section
    was opened (answered_from, with its `label` and `weight`), within a step budget."""
    return template(tier=tier, rubric=[answered_from(section, *answers, weight=weight, label=label),
                                       {"kind": "step_budget", "max_steps": max_steps}],
                    step_limit=step_limit, **fields)


def trend_answer(subject: str) -> dict:
    """The trend questions' answer: the latest value (at the precision the chart shows the variant's `loincs`)
    and the trend's direction (the `trend` fact, an observation_trend), read from the results; `subject` names
    the test in the labels ("{test}")."""
    return answered_from("results",
                         {"kind": "answer_matches", "label": f"The most recent {subject} value",
                          "expected": "{trend_latest_values}", "match": "number", "loinc": "{loincs}"},
                         {"kind": "answer_matches", "weight": 2, "label": f"The direction of the {subject} trend",
                          "expected": "{trend}", "choices": ["improving", "worsening", "stable"]},
                         label=f"The {subject} trend and its latest value, read from the chart")


def trend_question(subject: str, *, better: str, **fields) -> TaskTemplate:
    """Is a result improving, worsening or stable? The variants give `loincs` and `stable_within`; `better`
    is "higher", "lower" or a variant's "{better}"."""
    return template(tier="objective",
                    facts={"trend": {"fact": "observation_trend", "loincs": "{loincs}", "better": better,
                                     "stable_within": "{stable_within}"}},
                    rubric=[trend_answer(subject), {"kind": "step_budget", "max_steps": 10}],
                    step_limit=20, **fields)


def trend_call(latest: float, previous: float, *, better: str, stable_within: float) -> str:
    """The trend from the draw before to the latest: a change of at most `stable_within` is stable."""
    change = latest - previous
    if abs(change) <= stable_within + 1e-9:
        return "stable"
    return "improving" if (change < 0) == (better == "lower") else "worsening"
