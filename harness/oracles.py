"""Oracles: scripted solvers, one per task template, registered by name.

An oracle takes the Instance (patient, variant, facts) and returns the actions that
solve it: a list, or a generator that receives each step's observation
(`observation = yield action`) and can read what the chart showed. The runner sends
them through the real step path (agentenv services), so an oracle that reaches full
reward proves the task can be done with the actions an agent has. Oracles may use
the instance's facts, as BrowserGym's `cheat` does, but reading the answer from the
observation proves more: that the agent could have seen it.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

Policy = Callable[..., Iterable[dict]]
ORACLES: dict[str, Policy] = {}


def oracle(name: str):
    """Register `func(instance)` as the oracle `name` (version-free: a task's v2 may reuse it)."""

    def register(func: Policy) -> Policy:
        if name in ORACLES and ORACLES[name] is not func:
            raise ValueError(f"oracle {name!r} is registered twice")
        ORACLES[name] = func
        return func

    return register


def oracle_get(name: str) -> Policy:
    from harness.library import library_load

    library_load()
    try:
        return ORACLES[name]
    except KeyError:
        raise KeyError(f"no oracle {name!r} is registered") from None


# --- Steps oracles share ------------------------------------------------------------------
# Generators are used with `yield from` inside an oracle (`observation = yield action`); what
# they return is the value of the `yield from` expression.


def answer_alerts(mrn: str, alerts: list[dict], *, override_reason: str | None = None):
    """Answer the decision-support alerts a signing returned, as a clinician would: acknowledge
    each warning and override each high-severity alert with `override_reason`.

    Without a reason nothing is answered when any alert is high-severity (a high alert cannot
    be acknowledged away): the high alerts are returned for the oracle to act on (cancel the
    order, change the dose...). Returns [] once the alerts are answered.
    """
    high = [alert for alert in alerts if alert["severity"] == "high"]
    if high and not override_reason:
        return high
    for alert in alerts:
        if alert["severity"] == "high":
            yield {"type": "override_alert", "mrn": mrn, "alert_id": alert["id"], "reason": override_reason}
        else:
            yield {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]}
    return []


def sign_answering_alerts(mrn: str, order_ids: list[int] | None = None, *, override_reason: str | None = None):
    """Sign the pended orders (`order_ids`, or all of the patient's), answer the alerts that block
    signing (see `answer_alerts`) and sign again.

    Returns the high-severity alerts left unanswered when no `override_reason` is given (the
    orders are then still pended), else []. Templates may check the override reason's words:
    each caller keeps its own.
    """
    scope = {"order_ids": order_ids} if order_ids else {}
    signed = yield {"type": "sign_orders", "mrn": mrn, **scope}
    alerts = signed["last_action_result"]["blocked_by_alerts"]
    if not alerts:
        return []
    high = yield from answer_alerts(mrn, alerts, override_reason=override_reason)
    if high:
        return high
    yield {"type": "sign_orders", "mrn": mrn, **scope}
    return []


def placed_order_id(observation: dict) -> int:
    """The id of the order a `place_order` step pended."""
    return observation["last_action_result"]["order"]["id"]


def place_and_sign(mrn: str, orders: list[dict], *, indication: str, override_reason: str | None = None):
    """Pend each order (`place_order` fields) with the indication, then sign them together."""
    ids = []
    for order in orders:
        placed = yield {"type": "place_order", "mrn": mrn, "indication": indication, **order}
        ids.append(placed_order_id(placed))
    return (yield from sign_answering_alerts(mrn, ids, override_reason=override_reason))


def write_and_sign_note(mrn: str, note_type: str, title: str, text: str):
    """Create a note and sign it."""
    created = yield {"type": "create_note", "mrn": mrn, "note_type": note_type, "title": title, "text": text}
    yield {"type": "sign_note", "mrn": mrn, "note_id": created["last_action_result"]["note"]["id"]}


def newest_numeric(observation: dict) -> dict | None:
    """The newest numeric row of a `get_observations` step (None when there is none)."""
    rows = [r for r in observation["last_action_result"]["observations"] if isinstance(r["value"], int | float)]
    return max(rows, key=lambda r: datetime.fromisoformat(r["effective_at"])) if rows else None


def newest_numeric_of(mrn: str, loincs: list[str], *, limit: int = 5):
    """The newest numeric result over the LOINC codes of one test, one `get_observations` step a code.

    A draw filed under two codes at the same moment is the first code's row.
    """
    newest = None
    for loinc in loincs:
        row = newest_numeric((yield {"type": "get_observations", "mrn": mrn, "loinc": loinc, "limit": limit}))
        if row and (newest is None or datetime.fromisoformat(row["effective_at"])
                    > datetime.fromisoformat(newest["effective_at"])):
            newest = row
    return newest


def draws_in_window(instance, loincs: list[str], *, window_hours: int = 24):
    """Every numeric draw of the test in the window before the instance's stated clock (its `reading_now_iso`),
    as (moment, value), newest first; a draw filed under two codes counts once."""
    now = datetime.fromisoformat(instance.params["reading_now_iso"])  # the stated clock, with its UTC offset
    start = now - timedelta(hours=window_hours)
    rows, seen = [], set()
    for loinc in loincs:
        observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": loinc,
                             "start": start.isoformat(), "end": now.isoformat(), "limit": 50}
        for row in observation["last_action_result"]["observations"]:
            at = datetime.fromisoformat(row["effective_at"])
            if isinstance(row["value"], int | float) and at > start and at not in seen:
                seen.add(at)
                rows.append((at, row["value"]))
    rows.sort(reverse=True)
    return rows


def number_text(value) -> str:
    """A value as a note would state it: 7.0 -> "7", 7.25 -> "7.25"."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
