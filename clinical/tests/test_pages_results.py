import re
import time

import pytest
from django.urls import reverse

from clinical.tests import factories
from clinical.tests.factories import ALICE_MRN, HBA1C, POTASSIUM

pytestmark = pytest.mark.django_db


def results_url(mrn: str = ALICE_MRN) -> str:
    return reverse("clinical:chart_results", args=[mrn])


def row(html: str, loinc: str) -> str:
    return html.split(f'data-testid="results-row-{loinc}"')[1].split("</tr>")[0]


def test_it_shows_each_result_in_its_panel_flowsheet_with_range_and_flags(client_in, alice):
    html = client_in.get(results_url()).content.decode()
    hba1c = row(html, HBA1C)
    assert "8.6" in hba1c and "8.2 <abbr" in hba1c and "4–5.6" in hba1c and "flag-high" in hba1c
    assert f'data-testid="results-analyte-{HBA1C}"' in hba1c
    potassium = row(html, POTASSIUM)
    assert "3.1" in potassium and "flag-low" in potassium and ">L<" in potassium and "3.5–5.1" in potassium
    assert "Tobacco smoking status" not in html  # social history is not a lab


def analytes(html: str) -> list[str]:
    return re.findall(r'data-testid="results-analyte-([^"]+)"', html)


def test_it_filters_analytes_by_text_or_loinc(client_in, alice):
    assert analytes(client_in.get(results_url(), {"q": "glucose"}).content.decode()) == ["2345-7"]
    assert analytes(client_in.get(results_url(), {"q": HBA1C}).content.decode()) == [HBA1C]
    assert "No results match" in client_in.get(results_url(), {"q": "zzz"}).content.decode()


def test_it_plots_an_analyte_trend_with_its_reference_range(client_in, alice):
    html = client_in.get(reverse("clinical:chart_result_trend", args=[ALICE_MRN, HBA1C])).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg and "<desc>" in svg
    assert svg.count("<circle") == 6 and 'class="ref-band"' in svg
    assert "latest 8.6 % (H)" in svg
    table = html.split('data-testid="trend-table"')[1]
    assert table.index("8.6") < table.index("6.8")  # newest first


def test_it_answers_an_unknown_analyte_with_404(client_in, alice):
    assert client_in.get(reverse("clinical:chart_result_trend", args=[ALICE_MRN, "0000-0"])).status_code == 404


def test_it_renders_3000_results_quickly(client_in, django_assert_max_num_queries):
    patient = factories.heavy_patient(3000)
    with django_assert_max_num_queries(10):
        started = time.perf_counter()
        response = client_in.get(results_url(patient.mrn))
        elapsed = time.perf_counter() - started
    assert response.content.decode().count('data-testid="results-row-') == 40  # one panel, "Other"
    assert elapsed < 1.0  # generous for slow CI; measured locally well under 300 ms
    trend = client_in.get(reverse("clinical:chart_result_trend", args=[patient.mrn, "10000-0"])).content.decode()
    assert trend.count("<circle") == 75
