"""Policies for tests: the oracle with something slipped in before it ends (the exploits themselves are
in harness.exploits).

A policy is what an oracle is: `policy(instance)` gives actions, or a generator that
receives each observation. These run through the real step path (harness.runner).
"""

import inspect

from harness import exploits
from harness.oracles import oracle_get

TERMINAL = frozenset({"answer", "finish", "report_infeasible"})


def oracle(instance):
    return oracle_get(instance.oracle)(instance)


def _generator(actions):
    if inspect.isgenerator(actions):
        return actions

    def feed():
        yield from actions

    return feed()


def before_ending(policy, extra, *, replace_ending=None):
    """`policy`, with the generator `extra(instance)` run just before its terminal action
    (which `replace_ending(instance, action)` may swap for another)."""

    def combined(instance):
        steps = _generator(policy(instance))
        action = next(steps)
        while action.get("type") not in TERMINAL:
            observation = yield action
            try:
                action = steps.send(observation)
            except StopIteration:
                return
        yield from extra(instance)
        yield replace_ending(instance, action) if replace_ending else action

    return combined


def reading(count: int):
    """Actions that change nothing: reading the chart `count` times."""

    def extra(instance):
        for _ in range(count):
            yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "summary"}

    return extra


def invalid(count: int):
    """Actions that fail: a browser action in an API-mode episode."""

    def extra(instance):
        for _ in range(count):
            yield {"type": "noop"}

    return extra


def shotgun_orders(instance):
    """Pend and sign a spread of orders, overriding every alert (harness.exploits' "order everything")."""
    yield from exploits.shotgun_orders(instance.patient_mrn)


def stop_every_medication(instance):
    """Discontinue every drug on the active medication list; returns the entries it stopped."""
    mrn = instance.patient_mrn
    listed = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    for entry in listed["last_action_result"]["active"]:
        yield {"type": "discontinue_medication", "mrn": mrn, "medication_id": entry["id"],
               "reason": "Stopping everything in case one of them is the culprit."}
    return listed["last_action_result"]["active"]


# A spread of vaccines (every family the EHR records): "record everything".
SHOTGUN_VACCINES = ("115", "150", "187", "216", "189", "165")


def record_every_vaccine(instance):
    """Record a dose of many vaccines, given today."""
    for cvx in SHOTGUN_VACCINES:
        yield {"type": "record_immunization", "mrn": instance.patient_mrn, "cvx": cvx}


def finish_only(instance):
    return [{"type": "finish"}]
