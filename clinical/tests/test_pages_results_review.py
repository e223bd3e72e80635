"""Results Review as panels of flowsheets, display precision, and questionnaires on their own tab."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinical.tests.factories import ALICE_MRN, CREATININE, GLUCOSE, HBA1C, LDL, POTASSIUM, add_observation

pytestmark = pytest.mark.django_db

BLOOD_GLUCOSE, ALT, PHQ9, REFUGEE = "2339-0", "1742-6", "44261-6", "93027-1"


def page(client, name: str, **params) -> str:
    return client.get(reverse(f"clinical:{name}", args=[ALICE_MRN]), params).content.decode()


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def surveys(alice):
    """What Synthea files as laboratory results though they are questionnaire answers, and an ALT."""
    now = timezone.now()
    add_observation(alice, PHQ9, "Patient Health Questionnaire 9 item (PHQ-9) total score", 12, "{score}",
                    at=now - timedelta(days=3))
    add_observation(alice, REFUGEE, "Are you a refugee?", None, "", at=now - timedelta(days=3), value_text="No")
    add_observation(alice, ALT, "Alanine aminotransferase", 28.13, "U/L", at=now - timedelta(days=3),
                    ref_low=7, ref_high=56)
    add_observation(alice, BLOOD_GLUCOSE, "Glucose [Mass/volume] in Blood", 101.37, "mg/dL",
                    at=now - timedelta(days=3), ref_low=70, ref_high=99, flag="H")
    return alice


def test_it_groups_results_by_panel_in_clinical_order(client_in, surveys):
    html = page(client_in, "chart_results")
    panels = re.findall(r'<section id="panel-([a-z-]+)"', html)
    assert panels == ["chemistry", "lipids", "endocrine"]
    chemistry = section(html, "results-panel-chemistry")
    for loinc in (GLUCOSE, BLOOD_GLUCOSE, POTASSIUM, CREATININE, ALT):
        assert f'data-testid="results-row-{loinc}"' in chemistry
    assert f'data-testid="results-row-{LDL}"' in section(html, "results-panel-lipids")
    assert f'data-testid="results-row-{HBA1C}"' in section(html, "results-panel-endocrine")
    assert 'aria-label="Chemistry (BMP/CMP) flowsheet, newest first"' in chemistry
    assert 'data-testid="results-panel-link-chemistry"' in html


def test_it_names_the_specimen_where_two_codes_share_an_analyte(client_in, surveys):
    html = page(client_in, "chart_results")
    assert ">Glucose (blood)</a>" in html and ">Glucose (serum/plasma)</a>" in html
    assert ">Potassium</a>" in html  # only one potassium code on this chart: no specimen needed


def test_its_flowsheet_has_dates_as_columns_newest_first_and_pages_back(client_in, surveys):
    html = page(client_in, "chart_results")
    chemistry = section(html, "results-panel-chemistry")
    dates = re.findall(r'data-testid="results-column-chemistry-\d+">(\d\d/\d\d/\d{4})', chemistry)
    # Three days ago (ALT, blood glucose), then the six draws of the other analytes (a column is a minute).
    assert len(dict.fromkeys(dates)) == 7
    as_dates = [tuple(int(x) for x in (d[6:], d[:2], d[3:5])) for d in dates]
    assert as_dates == sorted(as_dates, reverse=True)
    # A page past the last shows the last.
    assert section(page(client_in, "chart_results", page=9), "results-panel-chemistry").count("results-column-") \
        == chemistry.count("results-column-")


def test_it_pages_a_long_flowsheet(client_in, alice):
    now = timezone.now()
    for day in range(10):
        add_observation(alice, ALT, "ALT", 30 + day, "U/L", at=now - timedelta(days=day + 1))
    first = section(page(client_in, "chart_results"), "results-panel-chemistry")
    assert 'data-testid="results-older-chemistry"' in first and "results-newer-chemistry" not in first
    assert re.search(r"Dates page 1 of [2-9]", first)
    second = section(page(client_in, "chart_results", page=2), "results-panel-chemistry")
    assert 'data-testid="results-newer-chemistry"' in second and "Dates page 2 of" in second
    assert "Dates page 1 of" in page(client_in, "chart_results", page="x")  # a mistyped page: the newest


def test_it_shows_values_at_the_lab_precision_with_flags(client_in, surveys):
    html = page(client_in, "chart_results")
    alt = html.split(f'data-testid="results-row-{ALT}"')[1].split("</tr>")[0]
    assert ">28</td>" in alt and "28.13" not in alt and "7–56" in alt
    glucose = html.split(f'data-testid="results-row-{BLOOD_GLUCOSE}"')[1].split("</tr>")[0]
    assert "101 <abbr" in glucose and "flag-high" in glucose and "101.37" not in glucose
    assert f'href="/patients/{ALICE_MRN}/results/{ALT}/"' in alt  # the trend is one click away
    trend = client_in.get(reverse("clinical:chart_result_trend", args=[ALICE_MRN, ALT])).content.decode()
    assert "latest 28 U/L" in trend and "28.13" not in trend


def test_questionnaires_are_not_results(client_in, surveys):
    results = page(client_in, "chart_results")
    assert "Patient Health Questionnaire" not in results and "refugee" not in results
    assert 'data-testid="results-questionnaires-link"' in results


def test_questionnaires_have_their_own_tab(client_in, surveys):
    html = page(client_in, "chart_questionnaires")
    table = html[html.index('data-testid="questionnaires-table"'):]
    assert 'aria-label="Questionnaires and social history, latest answer per question"' in html
    assert re.findall(r'data-testid="questionnaire-row-([^"]+)"', table) == [PHQ9, REFUGEE, "72166-2"]
    assert f'data-testid="questionnaire-trend-{PHQ9}"' in table  # a score has a trend, a yes/no answer none
    assert "Never smoked tobacco" in table and ALT not in table
    assert 'data-testid="chart-tab-questionnaires" aria-current="page"' in html


def test_a_score_trend_leads_back_to_questionnaires(client_in, surveys):
    html = client_in.get(reverse("clinical:chart_result_trend", args=[ALICE_MRN, PHQ9])).content.decode()
    assert 'data-testid="chart-tab-questionnaires" aria-current="page"' in html
    assert f'href="/patients/{ALICE_MRN}/questionnaires/" data-testid="trend-back"' in html


def test_it_flags_a_critical_value_in_its_column_and_as_the_latest(client_in, alice):
    add_observation(alice, POTASSIUM, "Potassium [Moles/volume] in Serum or Plasma", 2.349, "mmol/L",
                    at=timezone.now() - timedelta(hours=1), ref_low=3.5, ref_high=5.1, flag="LL")
    potassium = page(client_in, "chart_results").split(f'data-testid="results-row-{POTASSIUM}"')[1].split("</tr>")[0]
    assert potassium.count('flag-low flag-critical">2.3 <abbr title="Critically low">LL</abbr>') == 2
