"""The orderable catalog: loaded by migration, real codes, searchable by name, synonym and code."""

import gzip
import json
from collections import Counter
from functools import cache

import pytest
from django.conf import settings

from orders import selectors
from orders.catalog import CATALOG_PATH, catalog_load
from orders.models import Orderable, OrderSet, OrderSetItem, OrderType
from orders.tests.support import pend

pytestmark = pytest.mark.django_db


@cache  # the population is 5 MB of gzip: read it once per run
def population_codes(resource_type: str, system_suffix: str) -> frozenset[str]:
    codes = set()
    with gzip.open(settings.EHRGYM_POPULATION_DIR / "bundles.ndjson.gz", "rt") as handle:
        for line in handle:
            for entry in json.loads(line)["entry"]:
                resource = entry["resource"]
                if resource["resourceType"] != resource_type:
                    continue
                concept = resource.get("medicationCodeableConcept") or resource.get("code") or {}
                codes |= {c["code"] for c in concept.get("coding", []) if c.get("system", "").endswith(system_suffix)}
    return frozenset(codes)


def test_it_loads_more_than_150_coded_orderables_of_every_type(catalog):
    by_type = Counter(catalog.values_list("order_type", flat=True))
    assert sum(by_type.values()) >= 150
    assert set(by_type) == set(OrderType.values)
    assert by_type[OrderType.MEDICATION] >= 100 and by_type[OrderType.LAB] >= 30
    assert not catalog.filter(code="").exists()


def test_it_covers_every_medication_of_the_default_population_with_its_exact_rxnorm_code(catalog):
    medications = population_codes("MedicationRequest", "rxnorm")
    assert medications, "the population has medication requests"
    missing = medications - set(catalog.filter(order_type=OrderType.MEDICATION).values_list("code", flat=True))
    assert not missing


def test_it_covers_the_populations_lab_panels_with_their_loinc_codes(catalog):
    reports = population_codes("DiagnosticReport", "loinc.org")
    for panel in ("24321-2", "24323-8", "58410-2", "57698-3", "34528-0", "24336-0", "24339-4", "24357-6"):
        assert panel in reports
        assert catalog.filter(code=panel, order_type=OrderType.LAB).exists()


def test_it_names_where_each_code_was_checked(catalog):
    sources = set(catalog.values_list("code_source", flat=True))
    assert sources <= {
        "population",
        "ecqm-value-set",
        "synthea",
        "public-reference",
        "rxnorm-ingredient",
        "loinc-common",
        "snomed-ct",
    }
    assert catalog.get(key="8591-iv").tty == "IN"


@pytest.mark.parametrize(
    ("text", "expected_key"),
    [
        ("amoxicillin", "308192"),
        ("Zosyn", "1659149"),  # brand synonym
        ("CBC", "58410-2"),  # abbreviation
        ("CXR", "399208008"),
        ("2160-0", "2160-0"),  # LOINC code
        ("1665021", "1665021"),  # RxNorm code
        ("potassium iv", "8591-iv"),  # several words, any order
        ("ortho consult", "183545006"),
    ],
)
def test_it_finds_orderables_by_name_synonym_and_code(catalog, text, expected_key):
    found = [o.key for o in selectors.orderable_search(text)]
    assert expected_key in found


def test_it_lists_an_exact_code_match_first(catalog):
    assert selectors.orderable_search("4548-4")[0].key == "4548-4"


def test_it_filters_search_by_order_type(catalog):
    results = selectors.orderable_search("potassium", order_type=OrderType.LAB)
    assert results and all(o.order_type == OrderType.LAB for o in results)


def test_it_finds_nothing_for_empty_or_unknown_text(catalog):
    assert selectors.orderable_search("") == []
    assert selectors.orderable_search("zzzxqq") == []


def test_it_reloads_the_catalog_without_duplicates(catalog):
    before = Orderable.objects.count(), OrderSetItem.objects.count()
    catalog_load(
        orderable_model=Orderable, order_set_model=OrderSet, order_set_item_model=OrderSetItem, using="default"
    )
    assert (Orderable.objects.count(), OrderSetItem.objects.count()) == before
    assert Orderable.objects.count() == len(json.loads(CATALOG_PATH.read_text())["orderables"])


def test_it_gives_every_catalog_medication_defaults_that_pend_without_errors(alice):
    for orderable in Orderable.objects.filter(order_type=OrderType.MEDICATION):
        order = pend(alice, orderable.key, dose=orderable.default_dose)
        assert order.route in orderable.routes and order.frequency == orderable.default_frequency
