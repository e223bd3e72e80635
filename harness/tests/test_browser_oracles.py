"""The browser-action oracles solve a sample of templates in real headless Chromium.

Each sampled instance is run twice on fresh copies of the chart: by its browser oracle (clicks
and typing on the pages, answers read off them) and by its semantic oracle. The browser run
must reach full success with browser actions only, and leave the chart as the semantic run
does: the same orders (code, status, dose, route, frequency, priority, PRN), the same signed
notes, the same answer.
"""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agentenv.actions import parse_action
from agentenv.actions.browser import BrowserAction
from agentenv.close import episode_close
from agentenv.models import Episode
from agentenv.routing import bind_episode
from agentenv.step import TERMINAL_ACTIONS
from clinical.display_precision import display_decimals
from harness.browser_oracles import BROWSER_ORACLES, axtree_parse, click, open_section, sign_orders
from harness.library import library_load
from harness.runner import task_run
from inbasket.models import ResultNotification
from notes.models import Note
from orders.models import Order, OrderAlert

# Templates with a browser oracle and the seeds run here: every tier, several domains, each UI flow
# (lookup, chart tabs, results, composer, order sets, decision support, notes). Seed 1 of the creatinine
# task asks for a non-routine priority.
CASES = [
    ("ehr/navigation-and-chart-review.find-mrn-v1", 0),
    ("ehr/navigation-and-chart-review.active-allergies-v1", 0),
    ("ehr/laboratory-medicine.latest-result-v1", 0),
    ("ehr/laboratory-medicine.latest-result-v1", 1),
    ("ehr/navigation-and-chart-review.orthopedic-referral-v1", 0),
    ("ehr/laboratory-medicine.elevated-creatinine-follow-up-v1", 1),
    ("ehr/cardiology.chest-pain-rule-out-v1", 0),
    ("ehr/cardiology.chest-pain-rule-out-v1", 1),
    ("ehr/documentation.glycemic-progress-note-v1", 0),
    ("ehr/infectious-disease.sepsis-penicillin-allergy-v1", 0),
    ("ehr/behavioral-health.depression-screen-review-note-v1", 0),
    ("ehr/laboratory-medicine.inbasket-critical-potassium-v1", 0),
    ("ehr/laboratory-medicine.inbasket-acknowledge-normal-results-v1", 0),
    ("ehr/endocrinology.inbasket-abnormal-a1c-v1", 0),
    ("ehr/laboratory-medicine.inbasket-route-abnormal-result-v1", 0),
]
# Instances whose signing raises warnings on the test chart, answered on the decision-support review page
# (chest pain: aspirin already on the medication list, and an NSAID interaction; sepsis: cefepime's
# cross-reactivity with the penicillin allergy).
WARNED = {("ehr/cardiology.chest-pain-rule-out-v1", 1), ("ehr/infectious-disease.sepsis-penicillin-allergy-v1", 0)}


def chart_change(run, owner) -> dict:
    """What the run left in its chart (orders and notes by the owner, the answer), then close the episode."""
    episode = Episode.objects.get(pk=run.episode_id)
    with bind_episode(episode):
        orders = sorted(Order.objects.filter(patient__mrn=run.patient_mrn, ordered_by=owner.username).values_list(
            "code", "status", "dose", "route", "frequency", "priority", "prn"))
        notes = sorted(Note.objects.filter(patient__mrn=run.patient_mrn, author=owner.username).values_list(
            "note_type", "status", "title"))
        # In Basket messages the run acknowledged or routed (the comment too).
        inbasket = sorted(ResultNotification.objects.filter(patient__mrn=run.patient_mrn).exclude(
            status=ResultNotification.Status.NEW).values_list("observation__loinc", "status", "note"))
    episode_close(episode=episode)
    loincs = episode.task_instance.get("params", {}).get("loincs") or []
    return {"orders": orders, "notes": notes, "inbasket": inbasket, "answer": answer_key(episode.answer, loincs)}


def answer_key(answer: str | None, loincs: list[str]):
    """An answer as compared across modes: a number as the results page prints it (at the precision of the
    task's analyte, else two decimals, and its own unit labels; the semantic oracle states the stored value and
    unit code), else the text (a list of allergies)."""
    number = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)(?:\s.*)?", answer or "")
    if not number:
        return answer
    value = float(number[1])
    decimals = min((display_decimals(loinc, value) for loinc in loincs), default=2)
    return round(value, decimals)


def actions_taken(run) -> list:
    return [parse_action(raw) for raw in Episode.objects.get(pk=run.episode_id).steps.order_by("index")
            .values_list("action", flat=True)]


def test_it_has_browser_oracles_across_tiers_and_domains_for_library_templates():
    templates = library_load().values()
    covered = [t for t in templates if t.oracle in BROWSER_ORACLES]

    assert {t.oracle for t in covered} == set(BROWSER_ORACLES)  # each mirrors a library template's oracle
    assert {t.tier for t in covered} == {"skill", "objective", "workflow"}
    assert len({t.domain for t in covered}) >= 5 and len(covered) >= 8
    assert {task_id for task_id, _ in CASES} == {t.task_id for t in covered}  # every one is run below


def test_it_reads_bids_names_values_and_states_from_an_axtree():
    tree = axtree_parse('RootWebArea "Orders"\n'
                        '  [composer-priority] combobox "Priority:" value="STAT"\n'
                        '    option "STAT" selected\n'
                        '  [composer-prn] checkbox "PRN (as needed)" checked\n'
                        '  [alert-3] group "Allergy: \\"Penicillin V\\""\n'
                        '    [alert-severity-3] group\n'
                        '      StaticText "High"\n')

    assert tree.find(bid="composer-priority").value == "STAT"
    assert tree.find(bid="composer-prn").checked
    alert = tree.find(bid_prefix="alert-", role="group")
    assert alert.name == 'Allergy: "Penicillin V"' and alert.find(bid="alert-severity-3").text == "High"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("task_id", "seed"), CASES)
def test_it_solves_the_template_in_the_browser_as_the_semantic_oracle_does(ehr, alice, task_id, seed):
    browser = task_run(owner=alice, task_id=task_id, seed=seed, mode="browser", close=False)
    semantic = task_run(owner=alice, task_id=task_id, seed=seed, close=False)

    assert browser.errors == [], browser.errors
    assert (browser.status, browser.score, browser.success) == ("terminated", 1.0, True), browser.breakdown
    *acting, last = actions_taken(browser)
    assert last.type in TERMINAL_ACTIONS
    assert all(isinstance(action, BrowserAction) for action in acting), [a.type for a in acting]
    acknowledged = [a for a in acting if a.type == "click" and a.bid.startswith("alert-acknowledge-")]
    assert bool(acknowledged) == ((task_id, seed) in WARNED)
    assert (semantic.score, semantic.success) == (1.0, True), semantic.breakdown
    assert browser.patient_mrn == semantic.patient_mrn
    change = chart_change(browser, alice)
    assert change["orders"] or change["notes"] or change["inbasket"] or change["answer"]
    assert change == chart_change(semantic, alice)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_overrides_a_high_severity_alert_with_its_reason_when_signing_in_the_browser(ehr, alice):
    """The signing step the oracles share, on an alert none of them meets on the test chart: the sepsis
    set's piperacillin for a penicillin-allergic patient (the task's rubric fails it, as it should)."""
    reason = "Allergy was a remote rash; benefit outweighs the risk."

    def sign_the_set_as_built(instance):
        yield from open_section(instance.patient_mrn, "orders")
        yield from click("order-set-sepsis")
        yield from sign_orders(reason)
        yield {"type": "finish"}

    run = task_run(owner=alice, task_id="ehr/infectious-disease.sepsis-penicillin-allergy-v1", seed=0,
                   mode="browser", policy=sign_the_set_as_built, close=False)

    assert run.errors == [] and run.status == "terminated"
    with bind_episode(Episode.objects.get(pk=run.episode_id)):
        high = list(OrderAlert.objects.filter(severity=OrderAlert.Severity.HIGH).values_list(
            "order__display", "status", "override_reason", "order__status"))
    assert high and all(status == OrderAlert.Status.OVERRIDDEN for _, status, _, _ in high)
    assert {(why, order_status) for _, _, why, order_status in high} == {(reason, Order.Status.ACTIVE)}
    assert any("piperacillin" in display.lower() for display, *_ in high)
    assert not run.success  # signing a penicillin for this patient is the critical violation


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_validate_command_runs_browser_oracles_and_names_templates_without_one(ehr):
    out = StringIO()
    call_command("tasks", "validate", "--browser", "ehr/navigation-and-chart-review.find-mrn-v1", "--instances", "1",
                 stdout=out)

    assert out.getvalue().split() == ["ehr/navigation-and-chart-review.find-mrn-v1", "solved", "1/1", "in", "the",
                                      "browser"]
    with pytest.raises(CommandError, match="No browser-action oracle for: ehr/pulmonology.acute-bronchitis-visit-v1"):
        call_command("tasks", "validate", "--browser", "ehr/pulmonology.acute-bronchitis-visit-v1")
