"""Search semantics with exact counts computed from the episode's chart: date prefixes (and repeated dates),
code as system|code or bare, category, _count with next links followed by fhirclient, _sort."""

from datetime import timedelta

import requests
from django.utils import timezone
from fhirclient.models.fhirsearch import FHIRSearchParam
from fhirclient.models.observation import Observation

from agentenv.routing import bind_episode
from clinical import models as chart
from fhirapi.tests.conftest import busiest_patient

LOINC = "http://loinc.org"


def _rows(episode_base, **filters) -> list:
    with bind_episode(episode_base.episode):
        return list(chart.Observation.objects.filter(patient__mrn=episode_base.mrn, **filters))


def _ids(struct: dict, server) -> list[str]:
    return [o.id for o in Observation.where(struct).perform_resources_iter(server)]


def test_dates_take_the_prefixes_and_repeated_dates_all_apply(chart_episode):
    _, loinc = busiest_patient()
    rows = _rows(chart_episode, loinc=loinc)
    days = sorted({timezone.localtime(row.effective_at).date() for row in rows})
    middle = days[len(days) // 2]
    day_of = {row.fhir_id: timezone.localtime(row.effective_at).date() for row in rows}
    expected = {
        "": {i for i, d in day_of.items() if d == middle},
        "eq": {i for i, d in day_of.items() if d == middle},
        "ne": {i for i, d in day_of.items() if d != middle},
        "ge": {i for i, d in day_of.items() if d >= middle},
        "gt": {i for i, d in day_of.items() if d > middle},
        "le": {i for i, d in day_of.items() if d <= middle},
        "lt": {i for i, d in day_of.items() if d < middle},
    }
    server = chart_episode.server
    for prefix, ids in expected.items():
        found = _ids({"patient": chart_episode.mrn, "code": loinc, "date": f"{prefix}{middle}", "_count": "5000"},
                     server)
        assert sorted(found) == sorted(ids) and len(found) == len(ids), prefix
    # Two date parameters: both apply.
    first, last = days[1], days[-2]
    between = {i for i, d in day_of.items() if first <= d < last}
    search = Observation.where({"patient": chart_episode.mrn, "code": loinc, "date": f"ge{first}", "_count": "5000"})
    search.params.append(FHIRSearchParam("date", f"lt{last}"))
    assert "date=ge" in search.construct() and "date=lt" in search.construct()
    found = [o.id for o in search.perform_resources_iter(server)]
    assert sorted(found) == sorted(between)
    # A year and a month are ranges too.
    year = middle.year
    assert len(_ids({"patient": chart_episode.mrn, "code": loinc, "date": str(year), "_count": "5000"}, server)) == \
        sum(1 for d in day_of.values() if d.year == year)
    month = f"{middle:%Y-%m}"
    assert len(_ids({"patient": chart_episode.mrn, "code": loinc, "date": f"ge{month}", "_count": "5000"}, server)) \
        == sum(1 for d in day_of.values() if d >= middle.replace(day=1))


def test_a_datetime_with_a_zone_is_exact(chart_episode):
    _, loinc = busiest_patient()
    newest = max(_rows(chart_episode, loinc=loinc), key=lambda row: row.effective_at)
    moment = newest.effective_at.astimezone(timezone.get_fixed_timezone(timedelta(hours=2)))
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    found = _ids({"patient": chart_episode.mrn, "code": loinc, "date": f"ge{stamp}"}, chart_episode.server)
    assert found == [newest.fhir_id] or newest.fhir_id in found
    assert _ids({"patient": chart_episode.mrn, "code": loinc, "date": f"gt{stamp}"}, chart_episode.server) == \
        [row.fhir_id for row in sorted(_rows(chart_episode, loinc=loinc, effective_at__gt=newest.effective_at),
                                       key=lambda row: (row.effective_at, row.pk), reverse=True)]


def test_codes_match_with_or_without_their_system_and_commas_give_any(chart_episode):
    _, loinc = busiest_patient()
    server, mrn = chart_episode.server, chart_episode.mrn
    rows = _rows(chart_episode, loinc=loinc)
    other = next(row.loinc for row in _rows(chart_episode) if row.loinc != loinc)
    assert len(_ids({"patient": mrn, "code": loinc, "_count": "5000"}, server)) == len(rows)
    assert len(_ids({"patient": mrn, "code": f"{LOINC}|{loinc}", "_count": "5000"}, server)) == len(rows)
    assert _ids({"patient": mrn, "code": f"http://snomed.info/sct|{loinc}"}, server) == []
    both = _rows(chart_episode, loinc__in=[loinc, other])
    assert len(_ids({"patient": mrn, "code": f"{loinc},{LOINC}|{other}", "_count": "5000"}, server)) == len(both)


def test_categories_split_vital_signs_and_laboratory(chart_episode):
    server, mrn = chart_episode.server, chart_episode.mrn
    for category in ("vital-signs", "laboratory"):
        expected = len(_rows(chart_episode, category=category))
        assert expected
        assert len(_ids({"patient": mrn, "category": category, "_count": "5000"}, server)) == expected
        system = "http://terminology.hl7.org/CodeSystem/observation-category"
        bundle = next(Observation.where({"patient": mrn, "category": f"{system}|{category}", "_count": "1"})
                      .perform_iter(server))
        assert bundle.total == expected
        assert bundle.entry[0].resource.category[0].coding[0].code == category


def test_pages_follow_next_links_to_every_match_once(chart_episode):
    server, mrn = chart_episode.server, chart_episode.mrn
    rows = _rows(chart_episode)
    pages = list(Observation.where({"patient": mrn, "_count": "7"}).perform_iter(server))
    assert len(pages) == -(-len(rows) // 7) and all(page.total == len(rows) for page in pages)
    assert all(len(page.entry) == 7 for page in pages[:-1])
    nexts = [next((link.url for link in page.link if link.relation == "next"), None) for page in pages]
    assert all("_offset=" in url for url in nexts[:-1]) and nexts[-1] is None
    ids = [entry.resource.id for page in pages for entry in page.entry]
    assert sorted(ids) == sorted(row.fhir_id for row in rows) and len(set(ids)) == len(ids)
    # Newest first by default, and the order _sort asks for.
    newest_first = [row.fhir_id for row in sorted(rows, key=lambda row: (row.effective_at, row.pk), reverse=True)]
    assert ids == newest_first
    assert _ids({"patient": mrn, "_sort": "-date", "_count": "5000"}, server) == newest_first
    assert _ids({"patient": mrn, "_sort": "date", "_count": "5000"}, server) == newest_first[::-1]


def test_count_zero_gives_the_total_and_count_stops_at_five_thousand(chart_episode):
    server, headers = chart_episode.server, {"Authorization": f"Bearer {chart_episode.token}"}
    with bind_episode(chart_episode.episode):
        everything = chart.Observation.objects.count()
    bundle = next(Observation.where({"_count": "0"}).perform_iter(server))
    assert bundle.total == everything and not bundle.entry
    big = requests.get(f"{chart_episode.base_url}Observation", params={"_count": "6000", "_sort": "date"},
                       headers=headers, timeout=120).json()
    assert big["total"] == everything and len(big["entry"]) == min(everything, 5000)
    assert any(link["relation"] == "next" for link in big["link"]) == (everything > 5000)
