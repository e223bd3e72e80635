import pytest
from django.urls import reverse

from clinical.tests.factories import ALICE_MRN, BOB_MRN, CHARLIE_MRN

pytestmark = pytest.mark.django_db

TABS = ["summary", "problems", "medications", "allergies", "results", "vitals", "encounters", "immunizations",
        "procedures", "notes"]


def tab_url(tab: str, mrn: str) -> str:
    app = "notes" if tab == "notes" else "clinical"
    return reverse(f"{app}:chart_{tab}", args=[mrn])


def storyboard(html: str) -> str:
    return html[html.index('aria-label="Patient storyboard"') : html.index("</aside>")]


@pytest.mark.parametrize("tab", TABS)
def test_it_renders_every_tab_inside_the_chart_frame(client_in, alice, tab):
    html = client_in.get(tab_url(tab, ALICE_MRN)).content.decode()
    assert html.count("<h1") == 1
    for landmark in ('role="banner"', 'aria-label="Activities"', 'aria-label="Chart activities"',
                     'aria-label="Patient storyboard"', "<main"):
        assert landmark in html
    current = html.split(f'data-testid="chart-tab-{tab}"')[1].split(">")[0]
    assert 'aria-current="page"' in current
    assert html.count('aria-current="page"') == 2  # the workspace tab and this activity tab
    assert 'data-testid="workspace-tab-patient"' in html and "Walker, Alice" in html


def test_it_shows_allergies_and_code_status_in_the_storyboard(client_in, alice, bob):
    alice_board = storyboard(client_in.get(tab_url("summary", ALICE_MRN)).content.decode())
    assert "has-allergies" in alice_board and "Penicillin V" in alice_board and "Anaphylaxis" in alice_board
    assert "Full Code" in alice_board and "03/14/1967" in alice_board and ALICE_MRN in alice_board
    assert "Dr. Dana Smith" in alice_board and "147/87 H" in alice_board

    bob_board = storyboard(client_in.get(tab_url("summary", BOB_MRN)).content.decode())
    assert "No Known Allergies" in bob_board and "has-allergies" not in bob_board
    assert "DNR/DNI" in bob_board and 'data-testid="storyboard-code-status"' in bob_board


def test_it_summarises_the_chart(client_in, alice):
    html = client_in.get(tab_url("summary", ALICE_MRN)).content.decode()
    for text in ("Diabetes mellitus type 2", "lisinopril 10 MG Oral Tablet", "Penicillin V", "Hemoglobin A1c",
                 "Emergency room admission"):
        assert text in html
    assert "amoxicillin" not in html  # completed, so not an active medication
    assert "Acute bronchitis" not in html  # resolved


def test_it_separates_active_and_resolved_problems_with_snomed_codes(client_in, alice):
    html = client_in.get(tab_url("problems", ALICE_MRN)).content.decode()
    active, resolved = html.split('data-testid="problems-resolved"')
    assert "44054006" in active and "Diabetes mellitus type 2" in active
    assert "Acute bronchitis" in resolved and "10509002" in resolved


def test_it_lists_medications_with_rxnorm_dosage_and_prescriber(client_in, alice):
    html = client_in.get(tab_url("medications", ALICE_MRN)).content.decode()
    active, past = html.split('data-testid="medications-past"')
    assert "860975" in active and "1 tablet by mouth twice daily" in active and "Dr. Dana Smith" in active
    assert "amoxicillin" in past


def test_it_lists_allergy_details(client_in, alice):
    html = client_in.get(tab_url("allergies", ALICE_MRN)).content.decode()
    for text in ("Penicillin V", "Medication", "Anaphylaxis", "Severe", "High", "Peanut (substance)", "Food"):
        assert text in html


def test_it_shows_a_vitals_flowsheet_with_abnormal_values_flagged(client_in, alice):
    html = client_in.get(tab_url("vitals", ALICE_MRN)).content.decode()
    bp_row = html.split('data-testid="vitals-row-bp"')[1].split("</tr>")[0]
    assert "147/87" in bp_row and "flag-high" in bp_row and bp_row.index("147/87") < bp_row.index("132/82")
    assert 'data-testid="vitals-plot"' in html and 'role="img"' in html and "Systolic" in html
    weight = client_in.get(tab_url("vitals", ALICE_MRN), {"vital": "weight"}).content.decode()
    assert "Weight over time" in weight and weight.count("<circle") == 6


def test_it_falls_back_to_bp_for_an_unknown_vital(client_in, alice):
    response = client_in.get(tab_url("vitals", ALICE_MRN), {"vital": "evil"})
    assert response.status_code == 200 and "Unknown vital sign" in response.content.decode()


def test_it_lists_encounters_immunizations_and_procedures(client_in, alice):
    assert "Hypoglycemia" in client_in.get(tab_url("encounters", ALICE_MRN)).content.decode()
    immunizations = client_in.get(tab_url("immunizations", ALICE_MRN)).content.decode()
    assert "140" in immunizations and "Influenza, seasonal" in immunizations
    procedures = client_in.get(tab_url("procedures", ALICE_MRN)).content.decode()
    assert "73761001" in procedures and "Colonoscopy" in procedures


@pytest.mark.parametrize(
    "tab, message",
    [("immunizations", "No immunizations on file"), ("procedures", "No procedures on file"),
     ("allergies", "No Known Allergies"), ("results", "No laboratory results on file"), ("vitals", "No vitals on file"),
     ("encounters", "No encounters on file"), ("notes", "No notes on file")],
)
def test_it_states_empty_sections_plainly(client_in, charlie, tab, message):
    assert message in client_in.get(tab_url(tab, CHARLIE_MRN)).content.decode()


def test_it_answers_an_unknown_mrn_with_a_styled_404(client_in):
    response = client_in.get("/patients/NOPE/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="not-found"' in html and "No patient with MRN NOPE" in html and 'role="banner"' in html


def test_it_renders_a_chart_tab_in_a_bounded_number_of_queries(client_in, alice, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        client_in.get(tab_url("summary", ALICE_MRN))
