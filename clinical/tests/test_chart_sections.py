"""The chart's sections: one registry, filled by clinical, orders and notes, gives the tab bar its tabs."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from clinical.chart_sections import chart_section, chart_section_register, chart_sections, chart_sections_require
from clinical.tests.factories import ALICE_MRN

# (name, tab label, page) in tab order, as the tab bar has always shown them.
EXPECTED = [
    ("summary", "Summary", "clinical:chart_summary"),
    ("visit", "Visit", "clinical:chart_visit"),
    ("problems", "Problems", "clinical:chart_problems"),
    ("medications", "Medications", "clinical:chart_medications"),
    ("allergies", "Allergies", "clinical:chart_allergies"),
    ("results", "Results", "clinical:chart_results"),
    ("questionnaires", "Questionnaires", "clinical:chart_questionnaires"),
    ("vitals", "Vitals", "clinical:chart_vitals"),
    ("orders", "Orders", "orders:chart_orders"),
    ("encounters", "Encounters", "clinical:chart_encounters"),
    ("immunizations", "Immunizations", "clinical:chart_immunizations"),
    ("procedures", "Procedures", "clinical:chart_procedures"),
    ("notes", "Notes", "notes:chart_notes"),
    ("inbasket", "In Basket", "inbasket:chart_inbasket"),
]


def test_it_has_every_section_in_tab_order():
    assert [(s.name, s.label, s.url_name) for s in chart_sections()] == EXPECTED


def test_orders_and_notes_register_their_own_sections():
    assert chart_section("orders").url_name == "orders:chart_orders"
    assert chart_section("notes").url_name == "notes:chart_notes"
    clinical = Path(__file__).resolve().parents[1]
    naming = [str(path.relative_to(clinical)) for path in clinical.rglob("*.py")
              if "tests" not in path.parts and re.search(r"[\"'](orders|notes):", path.read_text())]
    assert naming == [], "clinical names a URL of orders or notes"


def test_it_refuses_a_second_section_under_a_registered_name():
    chart_section_register(name="orders", label="Orders", url_name="orders:chart_orders", order=70)  # ready() again
    with pytest.raises(ImproperlyConfigured, match="orders"):
        chart_section_register(name="orders", label="Orders", url_name="orders:order_list", order=70)
    assert chart_section("orders").url_name == "orders:chart_orders"


def test_it_names_the_sections_it_lacks():
    with pytest.raises(LookupError, match="No chart section named 'labs'"):
        chart_section("labs")
    chart_sections_require(["summary", "orders"], user="a tool")
    with pytest.raises(ImproperlyConfigured, match="a tool offers chart sections no app registered: labs"):
        chart_sections_require(["summary", "labs"], user="a tool")


@pytest.mark.django_db
def test_the_tab_bar_shows_the_same_tabs_as_before(client_in, alice):
    html = client_in.get(reverse("clinical:chart_vitals", args=[ALICE_MRN])).content.decode()
    start = html.index('aria-label="Chart activities"')
    nav = html[start : html.index("</nav>", start)]
    tabs = re.findall(r'<a href="([^"]+)" data-testid="chart-tab-([a-z]+)"[^>]*>([^<]+)</a>', nav)
    assert tabs == [(reverse(url_name, args=[ALICE_MRN]), name, label) for name, label, url_name in EXPECTED]
    assert re.findall(r'data-testid="chart-tab-([a-z]+)" aria-current="page" class="current"', nav) == ["vitals"]
    assert "<title>Vitals · " in html
