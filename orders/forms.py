"""Forms of the order entry UI.

They render the inputs and carry what was typed; the services do the validating, and
`add_service_errors` puts their per-field messages back on the form, so a person in the
browser and an agent calling the service get the same words.
"""

from django import forms
from django.core.exceptions import ValidationError

from orders.catalog import FREQUENCIES, NON_MEDICATION_FREQUENCIES, ROUTES
from orders.details import OrderDetails
from orders.models import Order, Orderable, OrderType, Priority
from orders.selectors import ORDER_STATUS_FILTERS

TYPE_CHOICES = [("", "All types")] + list(OrderType.choices)


def _attrs(testid: str, **extra) -> dict:
    return {"data-testid": testid, **extra}


class OrderSearchForm(forms.Form):
    q = forms.CharField(
        label="Search orders",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs=_attrs("orders-search-input", type="search", placeholder="Name, synonym or code", autocomplete="off")
        ),
    )
    type = forms.ChoiceField(
        label="Type", required=False, choices=TYPE_CHOICES, widget=forms.Select(attrs=_attrs("orders-search-type"))
    )


class OrderComposerForm(forms.Form):
    """The composer for one orderable: only the fields its order type uses are shown."""

    FIELDS_BY_TYPE = {
        OrderType.MEDICATION: (
            "dose",
            "route",
            "frequency",
            "duration_days",
            "prn",
            "prn_reason",
            "priority",
            "indication",
        ),
        OrderType.LAB: ("priority", "frequency", "specimen", "indication", "instructions"),
        OrderType.IMAGING: ("priority", "reason_for_exam", "indication", "instructions"),
        OrderType.CONSULT: ("priority", "consult_question", "indication"),
        OrderType.NURSING: ("priority", "frequency", "instructions", "indication"),
    }

    dose = forms.CharField(label="Dose", required=False, max_length=20)
    route = forms.CharField(label="Route", required=False)
    frequency = forms.CharField(label="Frequency", required=False)
    duration_days = forms.CharField(label="Duration (days)", required=False, max_length=10)
    prn = forms.BooleanField(label="PRN (as needed)", required=False)
    prn_reason = forms.CharField(label="PRN reason", required=False, max_length=200)
    priority = forms.CharField(label="Priority", required=False)
    indication = forms.CharField(label="Indication", required=False, max_length=255)
    specimen = forms.CharField(label="Specimen", required=False, max_length=60)
    reason_for_exam = forms.CharField(label="Reason for exam", required=False, max_length=255)
    consult_question = forms.CharField(label="Question for the consultant", required=False, widget=forms.Textarea)
    instructions = forms.CharField(label="Instructions", required=False, widget=forms.Textarea)

    def __init__(self, *args, orderable: Orderable, **kwargs):
        super().__init__(*args, **kwargs)
        self.orderable = orderable
        wanted = self.FIELDS_BY_TYPE[orderable.order_type]
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        for name, field in self.fields.items():
            field.widget.attrs.update(_attrs(f"composer-{name.replace('_', '-')}"))
        if "dose" in self.fields:
            self.fields["dose"].label = f"Dose ({orderable.dose_unit})"
            self.fields["dose"].widget.attrs.update(inputmode="decimal", autocomplete="off")
        if "route" in self.fields:
            choices = [(code, f"{code} – {ROUTES[code]}") for code in orderable.routes if code in ROUTES]
            self.fields["route"].widget = forms.Select(choices=choices, attrs=_attrs("composer-route"))
        if "frequency" in self.fields:
            codes = list(FREQUENCIES) if orderable.is_medication else ["", *NON_MEDICATION_FREQUENCIES]
            choices = [(c, FREQUENCIES[c].label if c else "—") for c in codes]
            self.fields["frequency"].widget = forms.Select(choices=choices, attrs=_attrs("composer-frequency"))
        self.fields["priority"].widget = forms.Select(choices=Priority.choices, attrs=_attrs("composer-priority"))
        for name in ("consult_question", "instructions"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(rows=3)

    @classmethod
    def initial_for(cls, orderable: Orderable) -> dict:
        """What a new order of this orderable starts with."""
        return {
            "dose": f"{orderable.default_dose:g}" if orderable.default_dose is not None else "",
            "route": orderable.default_route,
            "frequency": orderable.default_frequency,
            "priority": Priority.ROUTINE,
            "specimen": orderable.specimen,
        }

    @classmethod
    def initial_from_order(cls, order: Order) -> dict:
        values = OrderDetails.from_order(order).as_dict()
        values["dose"] = f"{order.dose:g}" if order.dose is not None else ""
        values["duration_days"] = order.duration_days or ""
        return values

    def mark_invalid_fields(self) -> None:
        """Tie each field's error message to its input for screen readers."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"}
                )

    def service_values(self) -> dict:
        """The typed OrderDetails values for order_pend / order_update (fields this type does not use are left out)."""
        return {name: self.cleaned_data.get(name) for name in self.fields}


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's field errors onto the form field of that name; the rest onto the form."""
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=255, required=False)


class OrderListFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, s) for s in ORDER_STATUS_FILTERS], required=False)


def result_form_class(orderable: Orderable) -> type[forms.Form]:
    """A form with one input per analyte of a lab, named by LOINC code."""
    fields = {}
    for component in orderable.components:
        unit = f" ({component['unit']})" if component["unit"] else ""
        fields[component["loinc"]] = forms.CharField(
            label=f"{component['display']}{unit}",
            required=False,
            max_length=60,
            widget=forms.TextInput(attrs=_attrs(f"result-{component['loinc']}", autocomplete="off")),
        )
    return type("ResultEntryForm", (forms.Form,), fields)
