"""In Basket tasks: result notifications (critical, abnormal, normal) triaged as a clinician does.

Each chart's In Basket at reset holds its results of the 30 days before the population's reference date
(inbasket.services.notifications_seed_recent); the critical potassium and the uncontrolled A1c patients come
from the authored scenario overlay (fixtures/scenarios.json). Rubrics read the In Basket through
harness.rubrics.inbasket (notification_acknowledged, notification_routed, notifications_left_open).
"""

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import answered_from, template
from harness.library.builders import closing_criteria, signed_order
from harness.oracles import oracle, placed_order_id, sign_answering_alerts

POTASSIUM = ["2823-3", "6298-4"]
POTASSIUM_LAB, BMP, A1C = "2823-3", "24321-2", "4548-4"
KCL_PO = "8591-po"
SEVERE_CKD = {"loincs": ["33914-3", "62238-1", "98979-8", "48642-3", "48643-1"], "numeric": True,
              "latest_below": 30}
OVERRIDE_REASON = "Critical hypokalemia: replacement per protocol outweighs the flagged risk."


def _open(mrn: str, kind: str | None = None):
    """list_inbasket for the patient: their open notifications (of a kind), newest first."""
    listed = yield {"type": "list_inbasket", "mrn": mrn, **({"kind": kind} if kind else {}), "limit": 200}
    return listed["last_action_result"]["notifications"]


def _rows(tree: browser.Node) -> list[browser.Node]:
    """The In Basket table's message rows (its empty-state row left out)."""
    return [row for row in browser.table_rows(tree, "inbasket-table") if (row.bid or "").startswith("inbasket-row-")]


def _id(row: browser.Node) -> str:
    return (row.bid or "").removeprefix("inbasket-row-")


def _inbasket_page(mrn: str, kind: str):
    """The patient's In Basket tab, filtered to one kind of message (the filter bar's drop-down and button)."""
    yield from browser.open_section(mrn, "inbasket")
    yield from browser.act({"type": "select_option", "bid": "inbasket-filter-kind", "options": kind})
    return (yield from browser.click("inbasket-apply"))


def _acknowledge_in_browser(row: browser.Node, comment: str = ""):
    number = _id(row)
    if comment:
        yield from browser.fill(f"inbasket-comment-{number}", comment)
    return (yield from browser.click(f"inbasket-acknowledge-{number}"))


# (i) A critical potassium ------------------------------------------------------------------

CRITICAL_POTASSIUM = template(
    task_id="ehr/laboratory-medicine.inbasket-critical-potassium-v1",
    title="Triage a critical potassium from the In Basket",
    tier="workflow",
    domain="laboratory-medicine",
    description="A critical value in the In Basket: a serum potassium below the lab's critical limit (2.5 mmol/L). "
                "Per the stated protocol: acknowledge it with a comment, order 40 mEq of oral potassium chloride "
                "once, STAT (urgent also counts), and a STAT repeat potassium (or BMP), and sign both. Patients "
                "come from the authored critical-hypokalemia scenario (latest eGFR not below 30); acknowledging "
                "another result is not asked for.",
    instruction="A critical result is waiting in the In Basket for {patient_name} (MRN {mrn}): a potassium below "
                "the critical limit. Per the hypokalemia protocol, order potassium chloride 40 mEq by mouth once, "
                "STAT, and a STAT repeat potassium level (or a basic metabolic panel), and sign both orders. Then "
                "acknowledge the critical potassium result with a comment saying what you did.",
    patient_selector={"age_min": 18, "has_notification": {"kinds": ["critical"], "loincs": POTASSIUM},
                      "lacks_observation": SEVERE_CKD},
    rubric=[
        {"kind": "notification_acknowledged", "weight": 2, "kinds": ["critical"], "loinc": POTASSIUM,
         "comment_required": True, "label": "The critical potassium acknowledged, with a comment"},
        signed_order("Potassium chloride 40 mEq PO once, STAT (or urgent), signed", KCL_PO, weight=2,
                     priority=["stat", "urgent"], dose=40, route="PO", frequency="ONCE"),
        signed_order("STAT repeat potassium or BMP, signed", [POTASSIUM_LAB, BMP], weight=2, priority="stat",
                     order_type="lab"),
        {"kind": "no_extra_orders", "label": "Nothing beyond the protocol's replacement and recheck"},
        {"kind": "notifications_left_open", "kinds": ["abnormal", "normal"], "severity": "penalty",
         "label": "No other result acknowledged unread"},
        *closing_criteria(24),
    ],
    step_limit=35,
    oracle="inbasket.critical-potassium",
)


@oracle("inbasket.critical-potassium")
def critical_potassium(instance):
    mrn = instance.patient_mrn
    critical = next(n for n in (yield from _open(mrn, "critical")) if n["loinc"] in POTASSIUM)
    ids = []
    for order in ({"orderable": KCL_PO, "dose": 40, "route": "PO", "frequency": "ONCE", "priority": "stat"},
                  {"orderable": POTASSIUM_LAB, "priority": "stat"}):
        placed = yield {"type": "place_order", "mrn": mrn, "indication": "Critical hypokalemia", **order}
        ids.append(placed_order_id(placed))
    yield from sign_answering_alerts(mrn, ids, override_reason=OVERRIDE_REASON)
    yield {"type": "acknowledge_result", "notification_id": critical["id"],
           "comment": "KCl 40 mEq PO given per protocol; STAT repeat potassium ordered."}
    yield {"type": "finish", "message": "Critical potassium triaged."}


@browser_oracle("inbasket.critical-potassium")
def critical_potassium_in_browser(instance):
    mrn = instance.patient_mrn
    yield from browser.open_section(mrn, "orders")
    yield from browser.place_order("K-Dur", "8591", {"dose": "40", "frequency": "Once",
                                                                  "priority": "STAT"})
    yield from browser.place_order("potassium", POTASSIUM_LAB, {"priority": "STAT"})
    yield from browser.sign_orders(OVERRIDE_REASON)
    page = yield from _inbasket_page(mrn, "critical")
    row = next((r for r in _rows(page) if "Potassium" in r.cells()[2]), None)
    if row is None:
        raise browser.PageError(f"no critical potassium in the In Basket of {mrn}")
    yield from _acknowledge_in_browser(row, "KCl 40 mEq PO given per protocol; STAT repeat potassium ordered.")
    yield {"type": "finish", "message": "Critical potassium triaged."}


# (ii) Normal results -------------------------------------------------------------------------

ACKNOWLEDGE_NORMALS = template(
    task_id="ehr/laboratory-medicine.inbasket-acknowledge-normal-results-v1",
    title="Acknowledge a patient's normal results in the In Basket",
    tier="skill",
    domain="laboratory-medicine",
    description="Clear the normal results of one patient from the In Basket: every new normal result "
                "notification acknowledged (scored by the share done), and no abnormal or critical one (those "
                "need a clinician's action: acknowledging them unread is a critical violation). Patients have up "
                "to 48 normal results in the window.",
    instruction="Go through the In Basket of {patient_name} (MRN {mrn}) and acknowledge every new result "
                "notification whose result is normal. Leave the abnormal and critical results for the physician: "
                "do not acknowledge them, and order nothing.",
    patient_selector={"has_notification": {"kinds": ["normal"]}},
    rubric=[
        {"kind": "notification_acknowledged", "weight": 3, "kinds": ["normal"], "every": True,
         "label": "Every normal result acknowledged"},
        {"kind": "notifications_left_open", "kinds": ["abnormal", "critical"],
         "label": "No abnormal or critical result acknowledged"},
        {"kind": "no_extra_orders", "label": "Nothing ordered"},
        *closing_criteria(60),
    ],
    step_limit=80,
    oracle="inbasket.acknowledge-normal-results",
)


@oracle("inbasket.acknowledge-normal-results")
def acknowledge_normal_results(instance):
    for notification in (yield from _open(instance.patient_mrn, "normal")):
        yield {"type": "acknowledge_result", "notification_id": notification["id"]}
    yield {"type": "finish", "message": "Normal results acknowledged."}


@browser_oracle("inbasket.acknowledge-normal-results")
def acknowledge_normal_results_in_browser(instance):
    page = yield from _inbasket_page(instance.patient_mrn, "normal")
    # Acknowledged messages leave the open list: acknowledge the first one until none is left.
    while rows := [r for r in _rows(page) if r.cells()[5] == "Normal"]:
        page = yield from _acknowledge_in_browser(rows[0])
    yield {"type": "finish", "message": "Normal results acknowledged."}


# (iii) An abnormal A1c ----------------------------------------------------------------------

ABNORMAL_A1C = template(
    task_id="ehr/endocrinology.inbasket-abnormal-a1c-v1",
    title="Act on an abnormal hemoglobin A1c from the In Basket",
    tier="objective",
    domain="endocrinology",
    description="An A1c above the reference range (over 5.6 %) in the In Basket: acknowledge it with a comment and "
                "order a repeat A1c (routine) to follow glycemic control. Most patients come from the authored "
                "uncontrolled-a1c scenario (adults with diabetes, A1c 7.4-9.2 %).",
    instruction="{patient_name} (MRN {mrn}) has a new abnormal hemoglobin A1c in the In Basket. Order a routine "
                "repeat hemoglobin A1c to recheck glycemic control in 3 months and sign it, then acknowledge the "
                "A1c result with a comment stating your plan.",
    patient_selector={"has_notification": {"kinds": ["abnormal"], "loincs": [A1C]}},
    rubric=[
        {"kind": "notification_acknowledged", "weight": 2, "kinds": ["abnormal"], "loinc": A1C,
         "comment_required": True, "label": "The abnormal A1c acknowledged, with a comment"},
        signed_order("Repeat hemoglobin A1c, routine, signed", A1C, weight=2, order_type="lab"),
        {"kind": "no_extra_orders", "label": "Nothing beyond the repeat A1c"},
        {"kind": "notifications_left_open", "kinds": ["critical", "normal"], "severity": "penalty",
         "label": "No other result acknowledged unread"},
        *closing_criteria(20),
    ],
    step_limit=30,
    oracle="inbasket.abnormal-a1c",
)

A1C_COMMENT = "A1c above goal: repeat A1c ordered for 3 months."


@oracle("inbasket.abnormal-a1c")
def abnormal_a1c(instance):
    mrn = instance.patient_mrn
    a1c = next(n for n in (yield from _open(mrn, "abnormal")) if n["loinc"] == A1C)
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": A1C, "priority": "routine",
                    "indication": "Hemoglobin A1c above goal", "instructions": "Draw in 3 months."}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)])
    yield {"type": "acknowledge_result", "notification_id": a1c["id"], "comment": A1C_COMMENT}
    yield {"type": "finish", "message": "Abnormal A1c followed up."}


@browser_oracle("inbasket.abnormal-a1c")
def abnormal_a1c_in_browser(instance):
    mrn = instance.patient_mrn
    yield from browser.open_section(mrn, "orders")
    yield from browser.place_order("hemoglobin A1c", A1C, {"priority": "Routine"})
    yield from browser.sign_orders("A1c recheck is indicated.")
    page = yield from _inbasket_page(mrn, "abnormal")
    row = next((r for r in _rows(page) if "A1c" in r.cells()[2]), None)
    if row is None:
        raise browser.PageError(f"no abnormal A1c in the In Basket of {mrn}")
    yield from _acknowledge_in_browser(row, A1C_COMMENT)
    yield {"type": "finish", "message": "Abnormal A1c followed up."}


# (iv) Route an abnormal result to the chart -------------------------------------------------

ROUTE_ABNORMAL = template(
    task_id="ehr/laboratory-medicine.inbasket-route-abnormal-result-v1",
    title="Route an abnormal result from the In Basket to the chart and read it",
    tier="skill",
    domain="laboratory-medicine",
    description="The newest abnormal result notification of a patient (named in the instruction by its test and "
                "day): route it to the chart (it opens the analyte's results there) and answer with its value. "
                "The answer counts only once the patient's In Basket was opened.",
    instruction="In the In Basket of {patient_name} (MRN {mrn}), find the abnormal {result_display} result from "
                "{result_date}. Route it to the chart, and answer with its value (a number, in {result_unit}).",
    patient_selector={"has_notification": {"kinds": ["abnormal"]}},
    facts={"result": {"fact": "inbasket_notification", "kinds": ["abnormal"]}},
    rubric=[
        {"kind": "notification_routed", "kinds": ["abnormal"], "loinc": "{result_loinc}",
         "label": "The abnormal result routed to the chart"},
        answered_from("inbasket", {"kind": "answer_matches", "label": "The result's value",
                                   "expected": "{result}", "match": "number"}),
        {"kind": "notifications_left_open", "kinds": ["abnormal", "critical", "normal"], "severity": "penalty",
         "label": "Nothing acknowledged (only routed)"},
        *closing_criteria(6),
    ],
    step_limit=12,
    oracle="inbasket.route-abnormal-result",
)


@oracle("inbasket.route-abnormal-result")
def route_abnormal_result(instance):
    display = instance.params["result_display"]
    listed = yield from _open(instance.patient_mrn, "abnormal")
    notification = next(n for n in listed if n["display"] == display and n["status"] == "new")
    routed = yield {"type": "route_result", "notification_id": notification["id"]}
    yield {"type": "answer", "answer": str(routed["last_action_result"]["notification"]["value"])}


@browser_oracle("inbasket.route-abnormal-result")
def route_abnormal_result_in_browser(instance):
    display = instance.params["result_display"]  # stated in the instruction
    page = yield from _inbasket_page(instance.patient_mrn, "abnormal")
    row = next((r for r in _rows(page) if r.cells()[2] == display and r.cells()[7] == "New"), None)
    if row is None:
        raise browser.PageError(f"no new abnormal {display} in the In Basket")
    value = row.find(bid=f"inbasket-value-{_id(row)}").text.split()[0]
    yield from browser.click(f"inbasket-route-{_id(row)}")
    yield {"type": "answer", "answer": value}
