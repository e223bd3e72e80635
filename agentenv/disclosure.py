"""What an agent may learn about its task episode, and when.

The rubric's full breakdown (each criterion's weight, score, label and detail) is kept on the
step and the episode for staff, reports and trajectory exports. An agent sees less, because
whatever it sees it can exploit:

- at reset, not the task's patient: "find the MRN of ..." is answered by the MRN;
- mid-episode, only aggregate progress and the reward's parts: per-criterion rows would show
  which branch applies (a potassium order weighted 3 or 0) and, by trial, which dose scores;
- at the end, which criteria passed, never their labels or details: those may quote the
  expected value ("states the glucose of 93.4 mg/dL"), and the same seed gives the same
  instance again.
"""

AGGREGATES = ("progress", "potential", "success", "critical", "reward")


def patient_mrn(episode) -> str | None:
    """The patient an agent named at reset; a task's own patient stays the instruction's to reveal."""
    return None if episode.task_id else episode.patient_mrn


def rubric(info_rubric: dict | None, *, ended: bool) -> dict | None:
    """The step's rubric information as the agent may see it."""
    if not info_rubric:
        return None
    shown = {key: info_rubric[key] for key in AGGREGATES if key in info_rubric}
    shown["violations"] = len(info_rubric.get("violations", []))
    if not ended:
        shown.pop("success", None)
        return shown
    shown["criteria"] = [_verdict(row) for row in info_rubric.get("criteria", [])]
    return shown


def _verdict(row: dict) -> dict:
    return {"id": row["id"], "kind": row["kind"], "constraint": row.get("constraint", False), "passed": row["passed"]}


def step_info(info: dict, *, ended: bool) -> dict:
    """A stored step's info with its rubric part as the agent may see it."""
    shown = {key: value for key, value in info.items() if key != "rubric"}
    redacted = rubric(info.get("rubric"), ended=ended)
    if redacted is not None:
        shown["rubric"] = redacted
    return shown
