"""Forms that validate the clinician UI's query parameters and its chart entries."""

from django import forms

from clinical import selectors
from clinical.models import Patient, Practitioner
from clinical.vaccines import SITES, vaccine_choices


class PcpChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Practitioner) -> str:
        return obj.display_name


class PatientListFilterForm(forms.Form):
    """The patient list's search and filters; each field is optional and checked alone."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name or MRN", "data-testid": "patient-list-search"}
        ),
    )
    sex = forms.ChoiceField(
        label="Sex",
        required=False,
        choices=[("", "Any")] + list(Patient.Sex.choices),
        widget=forms.Select(attrs={"data-testid": "patient-list-filter-sex"}),
    )
    age = forms.ChoiceField(
        label="Age group",
        required=False,
        choices=[("", "Any"), ("adult", "Adult (18+)"), ("pediatric", "Pediatric (<18)")],
        widget=forms.Select(attrs={"data-testid": "patient-list-filter-age"}),
    )
    problem = forms.CharField(
        label="Active problem",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. diabetes", "data-testid": "patient-list-filter-problem"}),
    )
    pcp = PcpChoiceField(
        label="PCP",
        required=False,
        queryset=Practitioner.objects.none(),
        empty_label="Any",
        widget=forms.Select(attrs={"data-testid": "patient-list-filter-pcp"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pcp"].queryset = selectors.pcp_choices()

    def valid_filters(self) -> dict:
        """The filters that validated; invalid ones are dropped (and reported by the view)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class MedicationDiscontinueForm(forms.Form):
    """Stopping a drug from the medication list; the service says when the reason is missing."""

    reason = forms.CharField(label="Reason", max_length=255, required=False)


class ImmunizationRecordForm(forms.Form):
    """A vaccine given, from the coded vaccine list (clinical.vaccines)."""

    cvx = forms.ChoiceField(
        label="Vaccine",
        choices=[("", "Choose a vaccine")] + vaccine_choices(),
        widget=forms.Select(attrs={"data-testid": "immunization-cvx"}),
    )
    given_on = forms.DateField(
        label="Date given",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "data-testid": "immunization-date"}),
    )
    lot_number = forms.CharField(
        label="Lot number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"data-testid": "immunization-lot"}),
    )
    site = forms.ChoiceField(
        label="Site",
        required=False,
        choices=[("", "—")] + list(SITES.items()),
        widget=forms.Select(attrs={"data-testid": "immunization-site"}),
    )
