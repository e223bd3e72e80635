"""The semantic actions as methods, one per action type, for tool-calling models (generated: do not edit).

Written by `python -m ehrgym_client._codegen` from the server's GET /api/v1/actions. Each method's
signature and Google-style docstring are what TRL (and transformers' chat templates) show the model;
its call sends that action to the episode. The class is mixed into EHRGymToolEnv, which defines `_act`.
"""

from typing import Literal


class SemanticActions:
    """One public method per semantic action (and the terminal ones: answer, finish, report_infeasible)."""

    def search_patients(self, query: str, limit: int = 20) -> str:
        """Find patients by name ("Family, Given" or any name words), MRN, or birth date.

        Args:
            query: Name, MRN, or birth date (YYYY-MM-DD or MM/DD/YYYY).
            limit: Most patients to return.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("search_patients", {"query": query, "limit": limit})

    def open_chart(self, mrn: str) -> str:
        """Open a patient's chart (the Summary page); later actions default to this patient.

        Args:
            mrn: MRN of the patient whose chart to open.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("open_chart", {"mrn": mrn})

    def read_chart_section(
        self,
        section: Literal[
            "summary",
            "visit",
            "problems",
            "medications",
            "allergies",
            "results",
            "questionnaires",
            "vitals",
            "encounters",
            "immunizations",
            "procedures",
            "notes",
        ],
        mrn: str | None = None,
        limit: int = 50,
    ) -> str:
        """Read one section of a chart, as the matching chart tab shows it. "results" holds laboratory results (each
        with its Results Review panel); questionnaire answers and screening scores (PHQ, GAD, social needs) are in
        "questionnaires". A result's "value" is the stored value, "value_shown" the value as the chart prints it.

        Args:
            section: Which chart section to read.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            limit: Most rows to return for list sections.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("read_chart_section", {"section": section, "mrn": mrn, "limit": limit})

    def get_observations(
        self,
        loinc: str,
        mrn: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int = 50,
    ) -> str:
        """Every result of one LOINC code (lab, vital sign or score) in a time window, newest first: "value" is the
        stored value, "value_shown" the value as the chart prints it (at the lab's precision).

        Args:
            loinc: LOINC code, e.g. 4548-4 for hemoglobin A1c.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            start: Only results at or after this time (ISO 8601; without an offset, the EHR's local time).
            end: Only results at or before this time (ISO 8601; without an offset, the EHR's local time).
            limit: Most results to return.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("get_observations", {"loinc": loinc, "mrn": mrn, "start": start, "end": end, "limit": limit})

    def add_problem(self, code: str, display: str, mrn: str | None = None, onset: str | None = None) -> str:
        """Add a problem to the problem list.

        Args:
            code: SNOMED CT concept id, e.g. 44054006.
            display: Problem name, e.g. Diabetes mellitus type 2.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            onset: When the problem began (ISO 8601); defaults to now.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("add_problem", {"code": code, "display": display, "mrn": mrn, "onset": onset})

    def record_vitals(self, values: dict[str, float], mrn: str | None = None, at: str | None = None) -> str:
        """Record vital signs taken together (blood pressure needs both components).

        Args:
            values: Values by vital sign: bp_systolic (mm[Hg]), bp_diastolic (mm[Hg]), heart_rate (/min),
                respiratory_rate (/min), temperature (Cel), spo2 (%), weight (kg), height (cm), bmi (kg/m2), pain
                ({score}).
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            at: When they were taken (ISO 8601); defaults to now.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("record_vitals", {"values": values, "mrn": mrn, "at": at})

    def set_code_status(self, code_status: Literal["full", "dnr", "dnr_dni", "comfort"], mrn: str | None = None) -> str:
        """Set the patient's code status.

        Args:
            code_status: full = Full Code; dnr = DNR; dnr_dni = DNR/DNI; comfort = Comfort Care.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("set_code_status", {"code_status": code_status, "mrn": mrn})

    def add_allergy(
        self,
        substance: str,
        code: str = "",
        category: Literal["", "food", "medication", "environment", "biologic"] = "",
        reaction: str = "",
        severity: Literal["", "mild", "moderate", "severe"] = "",
        criticality: Literal["", "low", "high", "unable-to-assess"] = "",
        mrn: str | None = None,
    ) -> str:
        """Record an allergy or intolerance.

        Args:
            substance: What the patient reacts to, e.g. Penicillin V.
            code: SNOMED CT or RxNorm code of the substance, if known.
            category: Kind of substance.
            reaction: The reaction, e.g. Hives.
            severity: Severity of the reaction.
            criticality: Risk of a future severe reaction.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("add_allergy", {
            "substance": substance,
            "code": code,
            "category": category,
            "reaction": reaction,
            "severity": severity,
            "criticality": criticality,
            "mrn": mrn,
        })

    def discontinue_medication(self, medication_id: int, reason: str, mrn: str | None = None) -> str:
        """Stop a drug on the medication list (a home medication), with the reason; its renewals stop with it.

        Args:
            medication_id: The medication's id, as read_chart_section medications lists it.
            reason: Why it is stopped, e.g. Angioedema.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("discontinue_medication", {"medication_id": medication_id, "reason": reason, "mrn": mrn})

    def record_immunization(
        self,
        cvx: str,
        date: str | None = None,
        lot_number: str = "",
        site: Literal["", "LD", "RD", "LA", "RA", "LT", "RT"] = "",
        mrn: str | None = None,
    ) -> str:
        """Record a vaccine given, by CVX code, on the immunization history.

        Args:
            cvx: CVX code of the vaccine: 140 Influenza, seasonal, injectable, preservative free; 141 Influenza,
                seasonal, injectable; 150 influenza, injectable, quadrivalent, preservative free; 158 influenza,
                injectable, quadrivalent; 185 influenza, recombinant, quadrivalent,injectable, preservative free; 197
                influenza, high-dose, quadrivalent; 20 DTaP; 113 Td (adult), 5 Lf tetanus toxoid, preservative free,
                adsorbed; 115 Tdap; 133 Pneumococcal conjugate PCV 13; 215 Pneumococcal conjugate PCV 15; 216
                Pneumococcal conjugate PCV 20; 33 pneumococcal polysaccharide vaccine, 23 valent; 121 zoster vaccine,
                live; 187 zoster vaccine recombinant; 08 Hep B, adolescent or pediatric; 43 Hep B, adult; 189 HepB-CpG;
                83 Hep A, ped/adol, 2 dose; 52 Hep A, adult; 10 IPV; 49 Hib (PRP-OMP); 119 rotavirus, monovalent; 03
                MMR; 21 varicella; 62 HPV, quadrivalent; 165 HPV9; 114 meningococcal MCV4P; 136 Meningococcal MCV4O; 207
                COVID-19, mRNA, LNP-S, PF, 100 mcg/0.5 mL dose; 208 COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose.
            date: The day it was given (YYYY-MM-DD); defaults to now.
            lot_number: The vaccine lot number, if known.
            site: Injection site: LD = Left deltoid, RD = Right deltoid, LA = Left arm, RA = Right arm, LT = Left
                thigh, RT = Right thigh.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("record_immunization", {
            "cvx": cvx,
            "date": date,
            "lot_number": lot_number,
            "site": site,
            "mrn": mrn,
        })

    def search_orderables(
        self,
        text: str,
        order_type: Literal["medication", "lab", "imaging", "consult", "nursing"] | None = None,
        limit: int = 20,
    ) -> str:
        """Search the order catalog (medications, labs, imaging, consults, nursing) by name, synonym or code.

        Args:
            text: Words of the name or a synonym, or a code.
            order_type: Only orderables of this type.
            limit: Most orderables to return.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("search_orderables", {"text": text, "order_type": order_type, "limit": limit})

    def list_order_sets(self) -> str:
        """List the order sets (e.g. sepsis, chest pain) and the orders each one pends.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("list_order_sets", {})

    def place_order(
        self,
        orderable: str,
        mrn: str | None = None,
        dose: float | None = None,
        dose_unit: str = "",
        route: str = "",
        frequency: str = "",
        duration_days: int | None = None,
        prn: bool = False,
        prn_reason: str = "",
        priority: Literal["routine", "urgent", "stat"] = "routine",
        indication: str = "",
        specimen: str = "",
        reason_for_exam: str = "",
        consult_question: str = "",
        instructions: str = "",
    ) -> str:
        """Pend a new order (a draft: it takes effect when signed with sign_orders).

        Args:
            orderable: The orderable's key or code, as search_orderables returns it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            dose: Dose per administration, in the orderable's dose unit (medications; required for them).
            dose_unit: Unit of the dose; must be the orderable's dose unit (see search_orderables). Empty: that
                unit.
            route: Route code (medications): PO (Oral), IV (Intravenous), IM (Intramuscular), SC (Subcutaneous), SL
                (Sublingual), INH (Inhalation), TD (Transdermal), TOP (Topical), PR (Rectal), VAG (Vaginal), OPH
                (Ophthalmic). Empty: the orderable's default route.
            frequency: Frequency code: ONCE, DAILY, BID, TID, QID, Q1H, Q2H, Q4H, Q6H, Q8H, Q12H, Q24H, Q72H, QHS,
                AC, Q5MIN, WEEKLY, CONTINUOUS. Empty: the orderable's default (medications) or none.
            duration_days: How many days the medication is given (1-365); none: no set end.
            prn: True for an as-needed (PRN) medication; then prn_reason is required.
            prn_reason: What the as-needed dose is for, e.g. pain or nausea.
            priority: routine, urgent or stat.
            indication: Why the order is placed, e.g. Community-acquired pneumonia.
            specimen: Specimen of a lab order; empty: the lab's usual specimen.
            reason_for_exam: Reason for exam (required for imaging orders).
            consult_question: The question for the consultant (required for consult / referral orders).
            instructions: Free-text instructions, e.g. for nursing.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("place_order", {
            "orderable": orderable,
            "mrn": mrn,
            "dose": dose,
            "dose_unit": dose_unit,
            "route": route,
            "frequency": frequency,
            "duration_days": duration_days,
            "prn": prn,
            "prn_reason": prn_reason,
            "priority": priority,
            "indication": indication,
            "specimen": specimen,
            "reason_for_exam": reason_for_exam,
            "consult_question": consult_question,
            "instructions": instructions,
        })

    def update_order(
        self,
        order_id: int,
        mrn: str | None = None,
        dose: float | None = None,
        dose_unit: str | None = None,
        route: str | None = None,
        frequency: str | None = None,
        duration_days: int | None = None,
        prn: bool | None = None,
        prn_reason: str | None = None,
        priority: Literal["routine", "urgent", "stat"] | None = None,
        indication: str | None = None,
        specimen: str | None = None,
        reason_for_exam: str | None = None,
        consult_question: str | None = None,
        instructions: str | None = None,
    ) -> str:
        """Change a pended order before it is signed (signed orders are discontinued and reordered instead).

        Args:
            order_id: Id of the order, as place_order, apply_order_set or list_orders return it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            dose: Dose per administration, in the orderable's dose unit (medications; required for them). Omit to
                keep the current value.
            dose_unit: Unit of the dose; must be the orderable's dose unit (see search_orderables). Empty: that
                unit. Omit to keep the current value.
            route: Route code (medications): PO (Oral), IV (Intravenous), IM (Intramuscular), SC (Subcutaneous), SL
                (Sublingual), INH (Inhalation), TD (Transdermal), TOP (Topical), PR (Rectal), VAG (Vaginal), OPH
                (Ophthalmic). Empty: the orderable's default route. Omit to keep the current value.
            frequency: Frequency code: ONCE, DAILY, BID, TID, QID, Q1H, Q2H, Q4H, Q6H, Q8H, Q12H, Q24H, Q72H, QHS,
                AC, Q5MIN, WEEKLY, CONTINUOUS. Empty: the orderable's default (medications) or none. Omit to keep the
                current value.
            duration_days: How many days the medication is given (1-365); none: no set end. Omit to keep the current
                value.
            prn: True for an as-needed (PRN) medication; then prn_reason is required. Omit to keep the current
                value.
            prn_reason: What the as-needed dose is for, e.g. pain or nausea. Omit to keep the current value.
            priority: routine, urgent or stat. Omit to keep the current value.
            indication: Why the order is placed, e.g. Community-acquired pneumonia. Omit to keep the current value.
            specimen: Specimen of a lab order; empty: the lab's usual specimen. Omit to keep the current value.
            reason_for_exam: Reason for exam (required for imaging orders). Omit to keep the current value.
            consult_question: The question for the consultant (required for consult / referral orders). Omit to keep
                the current value.
            instructions: Free-text instructions, e.g. for nursing. Omit to keep the current value.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("update_order", {
            "order_id": order_id,
            "mrn": mrn,
            "dose": dose,
            "dose_unit": dose_unit,
            "route": route,
            "frequency": frequency,
            "duration_days": duration_days,
            "prn": prn,
            "prn_reason": prn_reason,
            "priority": priority,
            "indication": indication,
            "specimen": specimen,
            "reason_for_exam": reason_for_exam,
            "consult_question": consult_question,
            "instructions": instructions,
        })

    def cancel_order(self, order_id: int, mrn: str | None = None, reason: str = "") -> str:
        """Remove a pended order before it is signed.

        Args:
            order_id: Id of the order, as place_order, apply_order_set or list_orders return it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            reason: Why it is removed (optional).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("cancel_order", {"order_id": order_id, "mrn": mrn, "reason": reason})

    def reorder_order(self, order_id: int, mrn: str | None = None) -> str:
        """Pend a new copy of a signed, completed or discontinued order, to change and sign.

        Args:
            order_id: Id of the order, as place_order, apply_order_set or list_orders return it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("reorder_order", {"order_id": order_id, "mrn": mrn})

    def apply_order_set(self, slug: str, mrn: str | None = None) -> str:
        """Pend every order of an order set with the set's defaults; each can be updated or cancelled before signing.

        Args:
            slug: The order set's slug, as list_order_sets returns it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("apply_order_set", {"slug": slug, "mrn": mrn})

    def sign_orders(self, mrn: str | None = None, order_ids: list[int] | None = None) -> str:
        """Sign pended orders so they take effect. Decision support runs first: if it raises
        alerts that need an answer, nothing is signed and the result lists them under
        blocked_by_alerts; answer each (acknowledge_alert / override_alert) and sign again.

        Args:
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            order_ids: Only these pended orders; omit to sign all of them.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("sign_orders", {"mrn": mrn, "order_ids": order_ids})

    def acknowledge_alert(self, alert_id: int, mrn: str | None = None) -> str:
        """Acknowledge a decision-support warning (low severity) on a pended order.

        Args:
            alert_id: Id of the alert, as sign_orders lists it under blocked_by_alerts.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("acknowledge_alert", {"alert_id": alert_id, "mrn": mrn})

    def override_alert(self, alert_id: int, reason: str, mrn: str | None = None) -> str:
        """Override a decision-support alert (needed for high severity) with the clinical reason to go ahead.

        Args:
            alert_id: Id of the alert, as sign_orders lists it under blocked_by_alerts.
            reason: Why the order is right despite the alert.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("override_alert", {"alert_id": alert_id, "reason": reason, "mrn": mrn})

    def discontinue_order(self, order_id: int, reason: str, mrn: str | None = None) -> str:
        """Stop an active (signed) order; a medication comes off the medication list.

        Args:
            order_id: Id of the order, as place_order, apply_order_set or list_orders return it.
            reason: Why the order is stopped.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("discontinue_order", {"order_id": order_id, "reason": reason, "mrn": mrn})

    def list_orders(
        self,
        mrn: str | None = None,
        status: Literal["active", "pended", "completed", "discontinued", "cancelled", "all"] = "active",
        limit: int = 50,
    ) -> str:
        """A patient's orders in one status (or all), with their decision-support alerts.

        Args:
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            status: Which orders: active, pended, completed, discontinued, cancelled, all.
            limit: Most orders to return (newest first; pended ones oldest first).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("list_orders", {"mrn": mrn, "status": status, "limit": limit})

    def list_note_templates(
        self,
        note_type: Literal["progress", "h_and_p", "discharge", "procedure"] | None = None,
    ) -> str:
        """List the note templates (and the smart phrases a note can use).

        Args:
            note_type: Only templates of this note type: progress = Progress Note; h_and_p = History and Physical;
                discharge = Discharge Summary; procedure = Procedure Note.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("list_note_templates", {"note_type": note_type})

    def create_note(
        self,
        note_type: Literal["progress", "h_and_p", "discharge", "procedure"],
        mrn: str | None = None,
        title: str = "",
        text: str = "",
        template: str = "",
    ) -> str:
        """Start a draft note on the patient's chart (sign it with sign_note).

        Args:
            note_type: Kind of note: progress = Progress Note; h_and_p = History and Physical; discharge = Discharge
                Summary; procedure = Procedure Note.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            title: Title; empty: the template's name or the note type.
            text: Text of the note. Smart phrases (.vitals, .labs, .meds, .allergies, .problems, .name, .age, .mrn,
                .dob) are replaced by chart data when saved. With a template, it follows the template's text.
            template: Key of a template of this note type to start from (see list_note_templates).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("create_note", {
            "note_type": note_type,
            "mrn": mrn,
            "title": title,
            "text": text,
            "template": template,
        })

    def edit_note(self, note_id: int, mrn: str | None = None, title: str | None = None, text: str | None = None) -> str:
        """Change the title and/or text of your draft note (signed notes take addenda instead).

        Args:
            note_id: Id of the note, as create_note or read_chart_section (section notes) returns it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            title: New title; omit to keep it.
            text: New full text; omit to keep it. Text of the note. Smart phrases (.vitals, .labs, .meds,
                .allergies, .problems, .name, .age, .mrn, .dob) are replaced by chart data when saved.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("edit_note", {"note_id": note_id, "mrn": mrn, "title": title, "text": text})

    def sign_note(self, note_id: int, mrn: str | None = None, title: str | None = None, text: str | None = None) -> str:
        """Sign your draft note, optionally with a final title and text; it can no longer be changed.

        Args:
            note_id: Id of the note, as create_note or read_chart_section (section notes) returns it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).
            title: Final title; omit to keep the draft's.
            text: Final full text; omit to keep the draft's. Text of the note. Smart phrases (.vitals, .labs, .meds,
                .allergies, .problems, .name, .age, .mrn, .dob) are replaced by chart data when saved.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("sign_note", {"note_id": note_id, "mrn": mrn, "title": title, "text": text})

    def add_addendum(self, note_id: int, text: str, mrn: str | None = None) -> str:
        """Add a signed addendum to a signed note (the note itself stays as signed).

        Args:
            note_id: Id of the note, as create_note or read_chart_section (section notes) returns it.
            text: Text of the addendum. Text of the note. Smart phrases (.vitals, .labs, .meds, .allergies,
                .problems, .name, .age, .mrn, .dob) are replaced by chart data when saved.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("add_addendum", {"note_id": note_id, "text": text, "mrn": mrn})

    def read_note(self, note_id: int, mrn: str | None = None) -> str:
        """Read one note in full, with its addenda.

        Args:
            note_id: Id of the note, as create_note or read_chart_section (section notes) returns it.
            mrn: MRN of the patient; defaults to the chart that is open (see open_chart).

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("read_note", {"note_id": note_id, "mrn": mrn})

    def list_inbasket(
        self,
        mrn: str | None = None,
        kind: Literal["critical", "abnormal", "normal"] | None = None,
        status: Literal["open", "new", "routed", "acknowledged", "all"] = "open",
        limit: int = 50,
    ) -> str:
        """List result notifications of the In Basket, newest result first, with their folder counts.

        Args:
            mrn: Only this patient's notifications (default: every patient's).
            kind: Only this kind: critical (past the lab's critical limits), abnormal (outside the reference range)
                or normal.
            status: open (new or routed, not yet acknowledged), new, routed, acknowledged, or all.
            limit: Most notifications to return.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("list_inbasket", {"mrn": mrn, "kind": kind, "status": status, "limit": limit})

    def acknowledge_result(self, notification_id: int, comment: str = "") -> str:
        """Acknowledge a result notification of the In Basket, with an optional comment (what was done about it).

        Args:
            notification_id: The notification's id, as list_inbasket lists it.
            comment: A comment kept with the acknowledgement.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("acknowledge_result", {"notification_id": notification_id, "comment": comment})

    def route_result(self, notification_id: int) -> str:
        """Route a result notification to the chart: its analyte's results over time open; it stays to acknowledge.

        Args:
            notification_id: The notification's id, as list_inbasket lists it.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("route_result", {"notification_id": notification_id})

    def answer(self, answer: str) -> str:
        """Give the final answer of a question task and end the episode.

        Args:
            answer: The final answer, as asked for by the goal.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("answer", {"answer": answer})

    def finish(self, message: str = "") -> str:
        """Declare the task done and end the episode.

        Args:
            message: Optional summary of what was done.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("finish", {"message": message})

    def report_infeasible(self, reason: str) -> str:
        """Declare that the task cannot be done (e.g. it asks for something unsafe) and end the episode.

        Args:
            reason: Why the task cannot be done.

        Returns:
            The action's result as text, or the error that kept it from being done.
        """
        return self._act("report_infeasible", {"reason": reason})
