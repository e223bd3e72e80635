"""Order entry through semantic actions: the Orders activity's services on the episode's
own database. Maria (penicillin V allergy) trips the drug-allergy check; James has no
allergies, so his orders sign straight away."""

import pytest
from django.db import connections, transaction

from agentenv.models import Episode
from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from clinical.models import AuditEvent, Medication
from orders.catalog import catalog_load
from orders.models import Order, Orderable, OrderAlert, OrderSet, OrderSetItem

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden", "catalog")]

AMOXICILLIN = "308192"  # amoxicillin 500 MG Oral Tablet (RxNorm SCD)
CEPHALEXIN = "309114"  # cephalexin 500 MG Oral Capsule: cross-reacts with penicillins
LISINOPRIL = "314076"  # lisinopril 10 MG Oral Tablet
BMP = "24321-2"  # basic metabolic panel (LOINC)


@pytest.fixture
def catalog(golden):
    """The order catalog in the golden database: its data migration loaded it, but a
    transactional test before this one may have flushed it."""
    if not Orderable.objects.using("golden").exists():
        # One transaction, not one per row: a few hundred upserts commit in a blink.
        with transaction.atomic(using="golden"):
            catalog_load(
                orderable_model=Orderable, order_set_model=OrderSet, order_set_item_model=OrderSetItem, using="golden"
            )
    # Episodes copy the golden database as a template: nobody may stay connected to it.
    connections["golden"].close()


def ok(step) -> dict:
    assert step.error == "", step.error
    assert step.reward == 0.0
    return step.observation["last_action_result"]


def events(episode, action: str) -> list[AuditEvent]:
    with bind_episode(episode):
        return list(AuditEvent.objects.filter(action=action))


def test_it_searches_the_catalog_and_lists_order_sets(alice):
    episode = start(alice)

    found = ok(act(episode, type="search_orderables", text="amoxicillin"))
    labs = ok(act(episode, type="search_orderables", text="potassium", order_type="lab"))
    sets = ok(act(episode, type="list_order_sets"))

    amoxicillin = next(o for o in found["orderables"] if o["key"] == AMOXICILLIN)
    assert (amoxicillin["type"], amoxicillin["code"], amoxicillin["dose_unit"]) == ("medication", AMOXICILLIN, "mg")
    assert (amoxicillin["default_route"], amoxicillin["default_frequency"]) == ("PO", "TID")
    assert "rxnorm" in amoxicillin["code_system"]
    assert {o["type"] for o in labs["orderables"]} == {"lab"} and labs["count"] >= 1
    sepsis = next(s for s in sets["order_sets"] if s["slug"] == "sepsis")
    assert len(sepsis["orders"]) == 9 and sepsis["orders"][0]["name"]


def test_it_pends_and_signs_an_order_onto_the_medication_list(alice):
    episode = start(alice, mrn=JAMES_MRN)

    pended = ok(act(episode, type="place_order", mrn=JAMES_MRN, orderable=LISINOPRIL, dose=10,
                    indication="Hypertension"))
    order = pended["order"]
    assert (order["status"], order["code"], order["route"], order["frequency"]) == ("pended", LISINOPRIL, "PO", "DAILY")
    assert order["summary"] == "10 mg, Oral, Daily"

    signing = act(episode, type="sign_orders")
    signed = ok(signing)

    assert [o["id"] for o in signed["signed"]] == [order["id"]] and signed["blocked_by_alerts"] == []
    assert signed["signed"][0]["status"] == "active" and signed["signed"][0]["signed_by"] == "alice"
    assert signing.observation["route"] == f"/patients/{JAMES_MRN}/orders/?status=active"
    with bind_episode(episode):
        assert Order.objects.get(pk=order["id"]).status == Order.Status.ACTIVE
        assert Medication.objects.get(patient__mrn=JAMES_MRN, rxnorm=LISINOPRIL).status == Medication.Status.ACTIVE
    (pend,), (sign,) = events(episode, "order.pend"), events(episode, "order.sign")
    assert (pend.actor, pend.episode_step, sign.actor, sign.episode_step) == ("alice", 1, "alice", 2)
    assert (sign.details["code"], sign.details["dose"], sign.details["route"]) == (LISINOPRIL, 10.0, "PO")


@pytest.mark.parametrize("dose, message", [
    (True, "must be a number, not true or false"),
    (1e308, "is beyond any single dose (at most 10,000,000)"),
    (10**30, "is beyond any single dose (at most 10,000,000)"),
])
def test_it_refuses_an_implausible_dose_and_pends_nothing(alice, dose, message):
    """Issue 16, item 7: these doses were pended."""
    episode = start(alice, mrn=JAMES_MRN)
    step = act(episode, type="place_order", mrn=JAMES_MRN, orderable=LISINOPRIL, dose=dose, indication="Hypertension")
    assert message in step.error
    with bind_episode(episode):
        assert not Order.objects.exists()


def test_it_reports_allergy_alerts_as_a_result_and_signs_once_they_are_answered(alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)
    amoxicillin = ok(act(episode, type="place_order", orderable=AMOXICILLIN, dose=500))["order"]
    cephalexin = ok(act(episode, type="place_order", orderable=CEPHALEXIN, dose=500))["order"]

    blocked_step = act(episode, type="sign_orders")
    blocked = ok(blocked_step)  # information for the agent, not a mistake: no error, no penalty

    assert blocked["signed"] == [] and "2 alert(s) need a response before signing" in blocked["message"]
    allergy, cross = blocked["blocked_by_alerts"]
    assert (allergy["order_id"], allergy["rule"], allergy["severity"], allergy["status"]) == (
        amoxicillin["id"], "allergy", "high", "open")
    assert allergy["title"] == "Allergy: Penicillin V" and "amoxicillin" in allergy["message"]
    assert (cross["order_id"], cross["rule"], cross["severity"]) == (cephalexin["id"], "allergy_cross", "low")
    assert blocked_step.observation["route"] == f"/patients/{MARIA_MRN}/orders/review/"
    with bind_episode(episode):
        assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PENDED}
        assert OrderAlert.objects.get(pk=allergy["id"]).is_open  # saved, so it can be answered by id

    # A high-severity alert is not merely acknowledged, and an override needs a reason.
    acknowledged_high = act(episode, type="acknowledge_alert", alert_id=allergy["id"])
    no_reason = act(episode, type="override_alert", alert_id=allergy["id"], reason="  ")
    assert "override it with a reason" in acknowledged_high.error and "Enter the reason" in no_reason.error
    assert acknowledged_high.reward == no_reason.reward == -INVALID_ACTION_PENALTY
    assert events(episode, "alert.override") == [] and events(episode, "alert.acknowledge") == []

    acknowledged = ok(act(episode, type="acknowledge_alert", alert_id=cross["id"]))
    overridden = ok(act(episode, type="override_alert", alert_id=allergy["id"],
                        reason="Remote childhood rash; tolerated amoxicillin in 2019."))
    signed = ok(act(episode, type="sign_orders"))

    assert acknowledged["alert"]["status"] == "acknowledged" and [a["id"] for a in acknowledged["open_alerts"]] == [
        allergy["id"]]
    assert overridden["alert"]["status"] == "overridden" and overridden["open_alerts"] == []
    assert [o["id"] for o in signed["signed"]] == [amoxicillin["id"], cephalexin["id"]]
    (override,), signs = events(episode, "alert.override"), events(episode, "order.sign")
    assert override.details["reason"] == "Remote childhood rash; tolerated amoxicillin in 2019."
    assert (override.actor, override.episode_step) == ("alice", episode.step_count - 1)
    assert {sign.episode_step for sign in signs} == {episode.step_count}
    assert [a["status"] for a in signs[0].details["alerts"]] == ["overridden"]


def test_it_updates_cancels_reorders_and_discontinues_orders(alice):
    episode = start(alice, mrn=JAMES_MRN)
    act(episode, type="open_chart", mrn=JAMES_MRN)
    first = ok(act(episode, type="place_order", orderable=LISINOPRIL, dose=10))["order"]
    second = ok(act(episode, type="place_order", orderable=BMP, priority="stat"))["order"]

    updated = ok(act(episode, type="update_order", order_id=first["id"], dose=20, indication="Hypertension"))
    cancelled = ok(act(episode, type="cancel_order", order_id=second["id"]))
    ok(act(episode, type="sign_orders"))
    signed_edit = act(episode, type="update_order", order_id=first["id"], dose=5)
    no_reason = act(episode, type="discontinue_order", order_id=first["id"], reason=" ")
    stopped = ok(act(episode, type="discontinue_order", order_id=first["id"], reason="Cough on ACE inhibitor"))
    again = ok(act(episode, type="reorder_order", order_id=first["id"]))

    assert (updated["order"]["dose"], updated["order"]["frequency"], updated["order"]["indication"]) == (
        20.0, "DAILY", "Hypertension")
    assert cancelled["order"]["status"] == "cancelled"
    assert "never edited in place" in signed_edit.error
    assert "reason for discontinuing" in no_reason.error
    assert (stopped["order"]["status"], stopped["order"]["end_reason"]) == ("discontinued", "Cough on ACE inhibitor")
    assert (again["order"]["status"], again["order"]["dose"], again["reordered_from"]) == ("pended", 20.0, first["id"])
    with bind_episode(episode):
        assert Medication.objects.get(patient__mrn=JAMES_MRN, rxnorm=LISINOPRIL).status == Medication.Status.STOPPED
    (update,) = events(episode, "order.update")
    assert update.details["changes"]["dose"] == {"from": 10.0, "to": 20.0} and update.episode_step == 4
    listed = ok(act(episode, type="list_orders", status="all"))
    assert listed["counts"] == {"pended": 1, "discontinued": 1, "cancelled": 1, "all": 3}


def test_it_sends_a_drug_an_active_order_started_to_discontinue_order(alice):
    episode = start(alice, mrn=JAMES_MRN)
    order = ok(act(episode, type="place_order", mrn=JAMES_MRN, orderable=LISINOPRIL, dose=10))["order"]
    ok(act(episode, type="sign_orders", mrn=JAMES_MRN))
    (entry,) = ok(act(episode, type="read_chart_section", mrn=JAMES_MRN, section="medications"))["active"]

    refused = act(episode, type="discontinue_medication", mrn=JAMES_MRN, medication_id=entry["id"], reason="Cough")
    ok(act(episode, type="discontinue_order", mrn=JAMES_MRN, order_id=order["id"], reason="Cough"))

    assert f"was started by order #{order['id']}: discontinue that order" in refused.error
    assert [e.details["reason"] for e in events(episode, "medication.discontinue")] == ["Cough"]


def test_it_applies_an_order_set_and_lists_the_pended_orders(alice):
    episode = start(alice, mrn=JAMES_MRN)

    applied = ok(act(episode, type="apply_order_set", mrn=JAMES_MRN, slug="hypokalemia"))
    listed_step = act(episode, type="list_orders", status="pended")
    listed = ok(listed_step)

    assert [o["orderable"] for o in applied["orders"]] == ["8591-po", "19123-9", "2823-3"]
    assert {o["order_set"] for o in applied["orders"]} == {"hypokalemia"}
    assert applied["orders"][0]["dose"] == 40.0 and applied["orders"][0]["indication"] == "Hypokalemia"
    assert [o["id"] for o in listed["orders"]] == [o["id"] for o in applied["orders"]]
    assert listed_step.observation["route"] == f"/patients/{JAMES_MRN}/orders/?status=pended"
    (event,) = events(episode, "order_set.apply")
    assert (event.details["order_ids"], event.episode_step) == ([o["id"] for o in applied["orders"]], 1)


def test_it_refuses_an_order_or_alert_of_another_patient(alice):
    episode = start(alice)
    james_order = ok(act(episode, type="place_order", mrn=JAMES_MRN, orderable=LISINOPRIL, dose=10))["order"]

    step = act(episode, type="cancel_order", mrn=MARIA_MRN, order_id=james_order["id"])

    assert step.error == (
        f"No order #{james_order['id']} on the chart of Garcia, Maria (MRN {MARIA_MRN}); see list_orders."
    )
    with bind_episode(episode):
        assert Order.objects.get(pk=james_order["id"]).status == Order.Status.PENDED


@pytest.mark.parametrize(
    "action, message",
    [
        ({"type": "place_order", "orderable": "no-such-drug", "dose": 1}, "Unknown orderable 'no-such-drug'"),
        ({"type": "place_order", "orderable": AMOXICILLIN}, "dose: Enter a dose for amoxicillin (in mg)."),
        ({"type": "place_order", "orderable": AMOXICILLIN, "dose": 500, "duration_days": -3},
         "Duration must be between 1 and 365 days; got -3."),
        ({"type": "place_order", "orderable": AMOXICILLIN, "dose": 500, "route": "IV"}, "Route IV is not available"),
        ({"type": "place_order", "orderable": AMOXICILLIN, "dose": 500, "priority": "asap"},
         "place_order.priority: Input should be"),
        ({"type": "place_order", "orderable": AMOXICILLIN, "dose": 500, "refills": 2},
         "Extra inputs are not permitted"),
        ({"type": "acknowledge_alert", "alert_id": 999}, "No alert #999 on the chart of Garcia, Maria"),
        ({"type": "override_alert", "alert_id": 999, "reason": "ok"}, "No alert #999"),
        ({"type": "override_alert", "alert_id": 1}, "override_alert.reason: Field required"),
        ({"type": "discontinue_order", "order_id": 999, "reason": "done"}, "No order #999"),
        ({"type": "apply_order_set", "slug": "nope"}, "Unknown order set 'nope'; known:"),
        ({"type": "sign_orders"}, "There are no pended orders to sign."),
        ({"type": "sign_orders", "order_ids": [999]}, "No order #999."),
    ],
)
def test_it_reports_bad_order_input_with_a_penalty_and_changes_nothing(alice, action, message):
    episode = start(alice)

    step = act(episode, mrn=MARIA_MRN, **action)

    assert message in step.observation["last_action_error"]
    assert step.reward == -INVALID_ACTION_PENALTY
    episode.refresh_from_db()
    assert episode.status == Episode.Status.RUNNING
    with bind_episode(episode):
        assert not Order.objects.exists() and not OrderAlert.objects.exists() and not AuditEvent.objects.exists()


def test_it_lists_the_order_actions_with_their_schemas(alice_api):
    actions = {a["type"]: a for a in alice_api.get("/api/v1/actions").json()["actions"]}

    names = {
        "search_orderables", "list_order_sets", "place_order", "update_order", "cancel_order", "reorder_order",
        "apply_order_set", "sign_orders", "acknowledge_alert", "override_alert", "discontinue_order", "list_orders",
    }
    assert names <= set(actions)
    for name in names:
        schema = actions[name]["json_schema"]
        assert schema["additionalProperties"] is False and actions[name]["description"], name
        assert all(field.get("description") for field in schema["properties"].values()), name
    assert {"orderable", "dose", "route", "frequency", "prn", "indication"} <= set(
        actions["place_order"]["json_schema"]["properties"])
