"""The In Basket pages: every message (workspace activity) and a patient's (chart tab), filters, and the
Acknowledge and Route to chart buttons."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.models import AuditEvent
from clinical.tests import factories
from inbasket import services
from inbasket.models import ResultNotification

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(alice, bob):
    at = timezone.now() - timedelta(hours=3)
    rows = [factories.add_observation(bob, "2823-3", "Potassium", 2.2, "mmol/L", at=at, flag="LL"),
            factories.add_observation(bob, "2951-2", "Sodium", 140, "mmol/L", at=at - timedelta(hours=1)),
            factories.add_observation(alice, "4548-4", "Hemoglobin A1c", 8.2, "%", at=at, flag="H")]
    return {n.observation.loinc: n for n in services.notifications_for_results(rows)}


def test_the_in_basket_lists_every_open_message_with_its_flag_and_actions(client_in, messages):
    page = client_in.get("/inbasket/")

    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="activity-inbasket"' in html and 'aria-current="page"' in html
    critical = messages["2823-3"]
    for testid in (f"inbasket-row-{critical.pk}", f"inbasket-acknowledge-{critical.pk}",
                   f"inbasket-comment-{critical.pk}", f"inbasket-route-{critical.pk}", "inbasket-count-critical"):
        assert f'data-testid="{testid}"' in html
    assert "3 result notifications" in html
    assert 'aria-label="Acknowledge Potassium for' in html


def test_it_filters_by_kind_and_warns_about_an_unknown_filter(client_in, messages):
    critical = client_in.get("/inbasket/?kind=critical").content.decode()
    assert "1 result notification" in critical and "Sodium" not in critical

    odd = client_in.get("/inbasket/?kind=urgent&status=x")
    assert odd.status_code == 200 and "Unknown kind “urgent” ignored" in odd.content.decode()
    assert "Unknown status “x” ignored" in odd.content.decode()


def test_a_patients_in_basket_is_a_chart_tab_with_only_their_messages(client_in, messages, bob):
    page = client_in.get(f"/patients/{bob.mrn}/inbasket/")

    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="chart-tab-inbasket"' in html
    assert "Potassium" in html and "Hemoglobin A1c" not in html


def test_acknowledging_with_a_comment_goes_back_with_a_confirmation(client_in, messages, bob):
    critical = messages["2823-3"]
    back = f"/patients/{bob.mrn}/inbasket/"

    done = client_in.post(f"/inbasket/{critical.pk}/acknowledge/", {"comment": "KCl ordered", "next": back},
                          follow=True)

    assert done.redirect_chain[-1][0] == back
    assert "Acknowledged Potassium" in done.content.decode()
    critical.refresh_from_db()
    assert (critical.status, critical.note, critical.acknowledged_by) == ("acknowledged", "KCl ordered", "drsmith")
    again = client_in.post(f"/inbasket/{critical.pk}/acknowledge/", {"next": "https://evil.example/"}, follow=True)
    assert again.redirect_chain[-1][0] == "/inbasket/" and "already acknowledged" in again.content.decode()


def test_route_to_chart_opens_the_results_of_that_analyte(client_in, messages, bob):
    sodium = messages["2951-2"]

    routed = client_in.post(f"/inbasket/{sodium.pk}/route/")

    assert routed.status_code == 302 and routed["Location"] == f"/patients/{bob.mrn}/results/2951-2/"
    assert ResultNotification.objects.get(pk=sodium.pk).status == "routed"
    assert AuditEvent.objects.filter(action="inbasket.route", target_id=str(sodium.pk)).exists()


def test_it_answers_a_missing_message_or_a_get_without_an_error_page(client_in, messages):
    assert client_in.post("/inbasket/999999/acknowledge/").status_code == 404
    assert client_in.get(f"/inbasket/{messages['2823-3'].pk}/acknowledge/").status_code == 405
    assert client_in.get("/patients/NOPE/inbasket/").status_code == 404
