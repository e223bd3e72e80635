"""The open visit: started and closed by hand, opened by the first thing charted, and what belongs to it;
the banner on every chart page and the visit navigator."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinical import encounters, services
from clinical.models import AuditEvent, Encounter
from clinical.tests import factories
from clinical.visit import visit_today
from notes import services as notes_services
from orders import lifecycle

pytestmark = pytest.mark.django_db


def test_start_visit_opens_one_in_progress_encounter_and_close_finishes_it(alice):
    practitioner = factories.make_practitioner()
    practitioner.username = "drsmith"
    practitioner.save()
    visit = encounters.visit_start(patient=alice, actor="drsmith", reason="Follow-up")
    assert (visit.status, visit.end, visit.practitioner, visit.type_display) == (
        "in-progress", None, practitioner, "Office visit")
    assert encounters.encounter_open(alice) == visit

    with pytest.raises(ValidationError, match="already open") as refused:
        encounters.visit_start(patient=alice, actor="drsmith")
    assert refused.value.error_dict["visit"][0].code == encounters.VISIT_ALREADY_OPEN

    closed = encounters.visit_close(patient=alice, actor="drsmith")
    assert closed.status == "finished" and closed.end >= closed.start
    assert encounters.encounter_open(alice) is None
    assert visit_today(alice) == closed  # the navigator still shows today's visit, closed
    assert list(AuditEvent.objects.filter(patient=alice).values_list("action", flat=True)) == [
        "encounter.start", "encounter.close"]
    with pytest.raises(ValidationError, match="no open visit"):
        encounters.visit_close(patient=alice, actor="drsmith")


def test_it_refuses_an_unknown_visit_class(alice):
    with pytest.raises(ValidationError, match="Unknown visit class 'XYZ'"):
        encounters.visit_start(patient=alice, actor="drsmith", encounter_class="XYZ")
    assert not Encounter.objects.filter(status="in-progress").exists()


def test_imported_finished_encounters_are_never_the_open_visit(alice):
    assert alice.encounters.exists()  # alice's history, all finished
    assert encounters.encounter_open(alice) is None


def test_vitals_problems_orders_and_notes_join_the_open_visit(alice):
    visit = encounters.visit_start(patient=alice, actor="drsmith")
    vitals = services.vitals_record(patient=alice, values={"heart_rate": 88}, actor="drsmith")
    problem = services.condition_add(patient=alice, code="271737000", display="Anemia", actor="drsmith")
    order = lifecycle.order_pend(patient=alice, orderable="308192", actor="drsmith", dose=500, frequency="TID")
    note = notes_services.note_create(patient=alice, note_type="progress", author="drsmith", text="Seen today.")
    assert [v.encounter_id for v in vitals] == [visit.pk]
    assert problem.encounter == order.encounter == note.encounter == visit
    assert Encounter.objects.filter(patient=alice, status="in-progress").count() == 1


def test_the_first_thing_charted_opens_a_visit_when_none_is_open(alice):
    order = lifecycle.order_pend(patient=alice, orderable="308192", actor="drsmith", dose=500, frequency="TID")
    visit = encounters.encounter_open(alice)
    assert order.encounter == visit and visit.status == "in-progress"
    opened = AuditEvent.objects.get(action="encounter.start")
    assert opened.details["opened_by"] == "order.pend" and opened.target_id == str(visit.pk)
    # The next action joins it rather than opening another.
    note = notes_services.note_create(patient=alice, note_type="progress", author="drsmith")
    assert note.encounter == visit and AuditEvent.objects.filter(action="encounter.start").count() == 1


def test_a_refused_action_opens_no_visit(alice):
    with pytest.raises(ValidationError):
        services.vitals_record(patient=alice, values={"heart_rate": 900}, actor="drsmith")
    with pytest.raises(ValidationError):
        lifecycle.order_pend(patient=alice, orderable="no-such-thing", actor="drsmith")
    assert encounters.encounter_open(alice) is None
    assert not AuditEvent.objects.filter(action="encounter.start").exists()


def test_a_note_given_an_encounter_keeps_it(alice):
    past = alice.encounters.order_by("start").first()
    note = notes_services.note_create(patient=alice, note_type="progress", author="drsmith", encounter=past)
    assert note.encounter == past and encounters.encounter_open(alice) is None


# --- Pages --------------------------------------------------------------------------------


def test_every_chart_page_offers_start_visit_when_none_is_open(client_in, alice):
    for url_name in ("clinical:chart_summary", "clinical:chart_problems", "orders:chart_orders", "notes:chart_notes"):
        html = client_in.get(reverse(url_name, args=[alice.mrn])).content.decode()
        assert 'data-testid="visit-banner"' in html and 'aria-label="No open visit"' in html
        assert 'data-testid="visit-start"' in html and "csrfmiddlewaretoken" in html


def test_start_visit_button_opens_a_visit_and_the_banner_names_it(client_in, alice):
    problems = reverse("clinical:chart_problems", args=[alice.mrn])
    response = client_in.post(reverse("clinical:visit_start", args=[alice.mrn]), {"next": problems})
    assert response.status_code == 302 and response.url == problems
    visit = encounters.encounter_open(alice)
    html = client_in.get(problems).content.decode()
    assert 'aria-label="Open visit"' in html and "Open visit:</strong>" in html
    assert 'data-testid="visit-banner-type">Office visit<' in html
    assert 'data-testid="visit-banner-provider">drsmith<' in html  # no practitioner logs in as drsmith here
    assert reverse("clinical:chart_visit", args=[alice.mrn]) in html
    assert visit is not None and 'data-testid="visit-start"' not in html

    again = client_in.post(reverse("clinical:visit_start", args=[alice.mrn]), follow=True)
    assert again.status_code == 200 and "A visit is already open" in again.content.decode()


def test_start_visit_does_not_redirect_off_site(client_in, alice):
    response = client_in.post(reverse("clinical:visit_start", args=[alice.mrn]), {"next": "https://evil.example/"})
    assert response.url == reverse("clinical:chart_visit", args=[alice.mrn])


def test_the_navigator_lists_what_was_done_in_the_visit(client_in, alice):
    encounters.visit_start(patient=alice, actor="drsmith")
    services.vitals_record(patient=alice, values={"bp_systolic": 150, "bp_diastolic": 95}, actor="drsmith")
    problem = services.condition_add(patient=alice, code="271737000", display="Anemia", actor="drsmith")
    order = lifecycle.order_pend(patient=alice, orderable="308192", actor="drsmith", dose=500, frequency="TID")
    note = notes_services.note_create(patient=alice, note_type="progress", author="drsmith", title="Visit note")
    old_problem = alice.conditions.filter(clinical_status="active").exclude(pk=problem.pk).first()
    services.condition_resolve(condition=old_problem, actor="drsmith")

    html = client_in.get(reverse("clinical:chart_visit", args=[alice.mrn])).content.decode()
    assert "Today's visit" in html and 'data-testid="visit-close"' in html
    assert 'data-testid="visit-section-vitals"' in html and "Systolic blood pressure" in html and "150 mm[Hg]" in html
    assert f'data-testid="visit-problems-{problem.pk}"' in html and "Anemia" in html
    assert f'data-testid="visit-problems-{old_problem.pk}"' in html  # resolved during the visit: addressed
    assert reverse("orders:order_detail", args=[alice.mrn, order.pk]) in html
    assert reverse("notes:note_detail", args=[alice.mrn, note.pk]) in html and "Visit note" in html
    assert reverse("notes:note_new", args=[alice.mrn]) in html and 'data-testid="visit-vitals-form"' in html


def test_the_navigator_says_when_there_is_no_visit_today(client_in, alice):
    html = client_in.get(reverse("clinical:chart_visit", args=[alice.mrn])).content.decode()
    assert 'data-testid="visit-none"' in html and 'data-testid="chart-tab-visit" aria-current="page"' in html


def test_recording_vitals_from_the_navigator_opens_a_visit_and_lists_them(client_in, alice):
    url = reverse("clinical:visit_vitals_record", args=[alice.mrn])
    response = client_in.post(url, {"heart_rate": "72", "temperature": "37.2", "weight": ""}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "Recorded 2 vital signs." in html
    visit = encounters.encounter_open(alice)
    assert sorted(visit.observation_set.values_list("loinc", flat=True)) == ["8310-5", "8867-4"]
    assert 'data-testid="visit-section-vitals"' in html and "72 /min" in html


def test_bad_vitals_come_back_with_the_message_and_what_was_typed(client_in, alice):
    response = client_in.post(reverse("clinical:visit_vitals_record", args=[alice.mrn]),
                              {"heart_rate": "fast", "spo2": "97"})
    html = response.content.decode()
    assert response.status_code == 400 and "Heart rate must be a number" in html
    assert 'value="fast"' in html and 'value="97"' in html
    assert encounters.encounter_open(alice) is None


def test_close_visit_button_finishes_it(client_in, alice):
    encounters.visit_start(patient=alice, actor="drsmith")
    response = client_in.post(reverse("clinical:visit_close", args=[alice.mrn]), follow=True)
    html = response.content.decode()
    assert "Closed Office visit" in html and "(closed)" in html and 'data-testid="visit-start"' in html
    assert encounters.encounter_open(alice) is None
    nothing = client_in.post(reverse("clinical:visit_close", args=[alice.mrn]), follow=True)
    assert "no open visit to close" in nothing.content.decode()


def test_visit_buttons_need_a_post(client_in, alice):
    assert client_in.get(reverse("clinical:visit_start", args=[alice.mrn])).status_code == 405
