import re

import pytest
from django.urls import reverse

from clinical.tests import factories
from clinical.tests.factories import ALICE_MRN, BOB_MRN, CHARLIE_MRN

pytestmark = pytest.mark.django_db
URL = reverse("clinical:patient_list")


def rows(html: str) -> list[str]:
    """MRNs of the listed patients, in page order."""
    return re.findall(r'data-testid="patient-row-([^"]+)"', html)


@pytest.fixture
def three(alice, bob, charlie):
    return alice, bob, charlie


def test_it_lists_patients_with_their_chart_links_and_flags(client_in, three):
    html = client_in.get(URL).content.decode()
    assert rows(html) == [BOB_MRN, CHARLIE_MRN, ALICE_MRN]  # by family name
    row = html[html.index(f'data-testid="patient-row-{ALICE_MRN}"') :].split("</tr>")[0]
    assert f'href="/patients/{ALICE_MRN}/"' in row and f'data-testid="patient-link-{ALICE_MRN}"' in row
    assert "Walker, Alice" in row and "03/14/1967" in row and "Dr. Dana Smith" in row
    assert '<td class="num">3</td>' in row  # three active problems, the resolved one is not counted
    assert "Allergies (2)" in row
    assert "NKA" in html.split(f'patient-row-{BOB_MRN}"')[1].split("</tr>")[0]


@pytest.mark.parametrize("query", ["walker", "Alice", "Walker, Al", "E1001", "1001"])
def test_it_finds_a_patient_by_name_or_mrn(client_in, three, query):
    assert rows(client_in.get(URL, {"q": query}).content.decode()) == [ALICE_MRN]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"sex": "female"}, [ALICE_MRN]),
        ({"age": "pediatric"}, [CHARLIE_MRN]),
        ({"age": "adult"}, [BOB_MRN, ALICE_MRN]),
        ({"problem": "diabetes"}, [ALICE_MRN]),
        ({"problem": "bronchitis"}, []),  # resolved problems do not match
    ],
)
def test_it_filters_the_list(client_in, three, params, expected):
    assert rows(client_in.get(URL, params).content.decode()) == expected


def test_it_filters_by_pcp(client_in, three):
    alice, bob, _ = three
    assert rows(client_in.get(URL, {"pcp": bob.pcp_id}).content.decode()) == [BOB_MRN]


def test_it_sorts_by_clicked_column_and_marks_it(client_in, three):
    html = client_in.get(URL, {"sort": "-dob"}).content.decode()
    assert rows(html) == [CHARLIE_MRN, ALICE_MRN, BOB_MRN]
    assert 'aria-sort="descending"' in html
    assert rows(client_in.get(URL, {"sort": "age"}).content.decode()) == [CHARLIE_MRN, ALICE_MRN, BOB_MRN]
    assert rows(client_in.get(URL, {"sort": "mrn"}).content.decode()) == [ALICE_MRN, BOB_MRN, CHARLIE_MRN]


def test_it_keeps_filters_in_sort_links(client_in, three):
    html = client_in.get(URL, {"sex": "male"}).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="sort-dob"', html).group(1)
    assert "sex=male" in link and "sort=dob" in link
    assert 'aria-sort="ascending"' in html.split('data-testid="sort-name"')[0].rsplit("<th", 1)[1]


def test_it_pages_fifty_patients_at_a_time(client_in):
    factories.make_population(120)
    first = client_in.get(URL).content.decode()
    assert len(rows(first)) == 50 and "Page 1 of 3" in first
    last = client_in.get(URL, {"page": 3}).content.decode()
    assert len(rows(last)) == 20 and 'data-testid="page-prev"' in last


@pytest.mark.parametrize(
    "params", [{"page": "abc"}, {"page": "999"}, {"sort": "evil"}, {"age": "xyz"}, {"pcp": "abc"}, {"sex": "robot"}]
)
def test_it_survives_bad_query_parameters(client_in, three, params):
    response = client_in.get(URL, params)
    assert response.status_code == 200
    assert len(rows(response.content.decode())) >= 1


def test_it_says_which_parameter_it_ignored(client_in, three):
    html = client_in.get(URL, {"age": "xyz", "sort": "evil"}).content.decode()
    assert html.count('data-testid="param-warning"') == 2
    assert "Age group" in html and "Unknown sort" in html


def test_it_says_so_when_nothing_matches(client_in, three):
    assert 'data-testid="patient-list-empty"' in client_in.get(URL, {"q": "zzz"}).content.decode()


def test_it_renders_120_patients_in_a_few_queries(client_in, django_assert_max_num_queries):
    factories.make_population(120, pcp=factories.make_practitioner())
    with django_assert_max_num_queries(8):
        client_in.get(URL, {"sort": "-name"})


def test_it_has_landmarks_and_testids(client_in, three):
    html = client_in.get(URL).content.decode()
    markers = [
        'role="banner"',
        'aria-label="Activities"',
        "<main",
        'aria-label="Patients"',
        'data-testid="toolbar-lookup-input"',
        'data-testid="toolbar-lookup-submit"',
        'data-testid="patient-list-search"',
        'data-testid="sort-name"',
        'data-testid="activity-my-patients"',
        'data-testid="logout"',
    ]
    for marker in markers:
        assert marker in html
    assert html.count("<h1") == 1
