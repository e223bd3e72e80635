"""Browser mode end to end in real headless Chromium: the agent resets, reads the
accessibility tree, and works the chart with clicks and typing, as a clinician does."""

import base64

import pytest

from agentenv import spectator
from agentenv.browser import drivers
from agentenv.models import Episode
from agentenv.routing import bind_episode
from agentenv.tests.browser_support import BROWSER_DBS, browser_reset, browser_step, ehr  # noqa: F401
from agentenv.tests.conftest import JAMES_MRN, MARIA_MRN
from clinical.models import AuditEvent, Patient
from notes import services as note_services
from notes.models import Note

# Browser mode steps run on the episode's copy of the golden database: the PostgreSQL pass runs them too.
pytestmark = [pytest.mark.browser, pytest.mark.browser_on_postgres, BROWSER_DBS, pytest.mark.usefixtures("ehr")]


def test_it_resets_into_a_logged_in_browser_and_reads_the_accessibility_tree(alice_api):
    body = browser_reset(alice_api)

    observation = body["observation"]
    assert observation["url"].endswith("/patients/") and observation["route"] == "/patients/"
    assert observation["title"] == "My Patients · EHRGym"
    tree = observation["axtree"]
    # Logged in as the episode owner, looking at the episode's own patients.
    assert '[toolbar-user] group "Signed in"\n      StaticText "alice"' in tree
    assert f'[patient-link-{MARIA_MRN}] link "Garcia, Maria"' in tree
    assert f'[patient-link-{JAMES_MRN}] link "Okafor, James"' in tree
    assert '[patient-list-search] searchbox "Search" placeholder="Name or MRN"' in tree
    assert 'columnheader "Name"' in tree  # the sort arrow is aria-hidden: not part of the name
    assert observation["screenshot"] is None
    assert body["info"]["mode"] == "browser" and body["info"]["timings_ms"]["observe"] > 0


def test_it_opens_a_patients_results_by_clicking_element_ids(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]

    chart = browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")
    assert chart["observation"]["last_action_error"] is None
    assert chart["observation"]["route"] == f"/patients/{MARIA_MRN}/"
    assert chart["observation"]["patient_mrn"] == MARIA_MRN
    assert '[storyboard-allergies] region "Allergies"' in chart["observation"]["axtree"] or "Penicillin V" in chart[
        "observation"]["axtree"]

    results = browser_step(alice_api, episode_id, type="click", bid="chart-tab-results")
    tree = results["observation"]["axtree"]
    assert results["observation"]["route"] == f"/patients/{MARIA_MRN}/results/"
    assert '[results-analyte-4548-4] link "Hemoglobin A1c trend"' in tree
    assert "6.9" in tree
    timings = results["info"]["timings_ms"]
    assert set(timings) >= {"action", "observe", "step"}


def test_it_fills_searches_and_navigates_back_and_forward(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]

    filled = browser_step(alice_api, episode_id, type="fill", bid="patient-list-search", value="Okafor")
    assert 'searchbox "Search" value="Okafor" focused' in filled["observation"]["axtree"]
    assert filled["observation"]["focused_bid"] == "patient-list-search"

    searched = browser_step(alice_api, episode_id, type="press", key_comb="Enter")
    assert searched["observation"]["route"].startswith("/patients/?q=Okafor&")
    assert f"patient-link-{JAMES_MRN}" in searched["observation"]["axtree"]
    assert f"patient-link-{MARIA_MRN}" not in searched["observation"]["axtree"]

    back = browser_step(alice_api, episode_id, type="go_back")
    assert back["observation"]["route"] == "/patients/"
    forward = browser_step(alice_api, episode_id, type="go_forward")
    assert forward["observation"]["route"] == searched["observation"]["route"]

    sex = browser_step(alice_api, episode_id, type="select_option", bid="patient-list-filter-sex", options="Female")
    assert sex["observation"]["last_action_result"] == {"selected": ["Female"]}
    went = browser_step(alice_api, episode_id, type="goto", url=f"/patients/{JAMES_MRN}/allergies/")
    assert went["observation"]["title"].startswith("Allergies") and went["observation"]["patient_mrn"] == JAMES_MRN


def test_it_reports_a_missing_hidden_or_stale_element_id_as_an_error_not_an_exception(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]

    missing = browser_step(alice_api, episode_id, type="click", bid="no-such-element")
    assert "No element [no-such-element] on the page" in missing["observation"]["last_action_error"]
    assert missing["reward"] < 0 and missing["observation"]["axtree"]

    # The skip link's target: a chart tab id from the patient list page is stale once we left it.
    browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")
    stale = browser_step(alice_api, episode_id, type="click", bid=f"patient-row-{JAMES_MRN}")
    assert "No element [patient-row-" in stale["observation"]["last_action_error"]

    hidden = browser_step(alice_api, episode_id, type="fill", bid="skip-to-main", value="x")
    assert hidden["observation"]["last_action_error"] is not None

    wrong_kind = browser_step(alice_api, episode_id, type="select_option", bid="chart-tab-results", options="x")
    assert "not a drop-down list" in wrong_kind["observation"]["last_action_error"]
    bad_key = browser_step(alice_api, episode_id, type="press", key_comb="Control+Banana")
    assert "Unknown key 'Banana'" in bad_key["observation"]["last_action_error"]
    assert Episode.objects.get(pk=episode_id).status == Episode.Status.RUNNING


def test_it_refuses_browser_actions_in_api_mode_and_keeps_semantic_actions_in_browser_mode(alice_api):
    api_episode = alice_api.post("/api/v1/episodes", {"patient_mrn": MARIA_MRN, "instruction": "x"}, format="json")
    api_episode = api_episode.json()
    refused = browser_step(alice_api, api_episode["episode_id"], type="click", bid="anything")
    assert 'need a browser-mode episode: reset with "mode": "browser"' in refused["observation"]["last_action_error"]
    assert "axtree" not in refused["observation"]

    episode_id = browser_reset(alice_api)["episode_id"]
    browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")
    semantic = browser_step(alice_api, episode_id, type="set_code_status", code_status="dnr")
    assert semantic["observation"]["last_action_error"] is None
    # The semantic action changed the episode's chart; the page shows it once it is loaded again.
    assert '[storyboard-code-status] definition "Full Code"' in semantic["observation"]["axtree"]
    reloaded = browser_step(alice_api, episode_id, type="goto", url=f"/patients/{MARIA_MRN}/")
    assert '[storyboard-code-status] definition "DNR"' in reloaded["observation"]["axtree"]


def test_it_signs_a_note_through_the_ui_with_the_same_change_as_the_note_services(alice, alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]
    # One line: a browser submits a text area's line breaks as CRLF (HTML forms do), which
    # notes.services stores as sent, unlike the LF of a semantic action's text.
    text = "Subjective: doing well. Assessment: type 2 diabetes, A1c 6.9 %, at goal."

    for action in (
        {"type": "goto", "url": f"/patients/{MARIA_MRN}/notes/"},
        {"type": "click", "bid": "note-new"},
        {"type": "select_option", "bid": "note-type-select", "options": "Progress Note"},
        {"type": "fill", "bid": "note-title", "value": "Diabetes follow-up"},
        {"type": "click", "bid": "note-create"},
        {"type": "fill", "bid": "note-text", "value": text},
        {"type": "click", "bid": "note-sign"},
    ):
        done = browser_step(alice_api, episode_id, **action)
        assert done["observation"]["last_action_error"] is None, (action, done["observation"]["last_action_error"])
    assert "Signed" in done["observation"]["axtree"]

    # The same note written by the services the semantic note actions call, in a second episode.
    other = browser_reset(alice_api)["episode_id"]
    with bind_episode(Episode.objects.get(pk=other)):
        patient = Patient.objects.get(mrn=MARIA_MRN)
        note = note_services.note_create(
            patient=patient, note_type="progress", author="alice", title="Diabetes follow-up"
        )
        note_services.note_sign(note=note, actor="alice", text=text)

    def chart_change(eid):
        with bind_episode(Episode.objects.get(pk=eid)):
            notes = [(n.title, n.text, n.status, n.note_type, n.author) for n in Note.objects.all()]
            audit = [(e.action, e.actor, e.details.get("title"), e.details.get("text_sha256"))
                     for e in AuditEvent.objects.filter(action__in=["note.create", "note.sign"])]
        return notes, audit

    assert chart_change(episode_id) == chart_change(other)
    notes, audit = chart_change(episode_id)
    assert notes == [("Diabetes follow-up", text, "signed", "progress", "alice")]
    assert [a[0] for a in audit] == ["note.create", "note.sign"]
    with bind_episode(Episode.objects.get(pk=episode_id)):
        # Audit events of browser requests carry the step the agent was taking.
        events = AuditEvent.objects.filter(action__in=["note.create", "note.sign"])
        steps = list(events.values_list("episode_step", flat=True))
    assert steps == [5, 7]


def test_it_takes_screenshots_with_set_of_marks_when_asked(alice_api):
    body = browser_reset(alice_api, screenshot=True, set_of_marks=True)
    png = base64.b64decode(body["observation"]["screenshot"])
    assert png.startswith(b"\x89PNG") and len(png) > 5_000
    assert body["info"]["timings_ms"]["screenshot"] > 0

    step = browser_step(alice_api, body["episode_id"], type="scroll", dy=300)
    assert step["observation"]["screenshot"] and step["info"]["timings_ms"]["screenshot"] > 0
    # The overlay is gone again: it never shows in the tree or takes clicks.
    assert "data-ehrgym-overlay" not in step["observation"]["axtree"]
    spectator.thumbnails_wait()
    stored = Episode.objects.get(pk=body["episode_id"]).steps.get(index=1)
    assert stored.observation["screenshot"] is None  # the trajectory keeps a thumbnail only
    assert base64.b64decode(stored.thumbnail).startswith(b"\xff\xd8")


def test_it_takes_a_started_browser_from_the_warm_pool(alice_api, settings):
    settings.EHRGYM_BROWSER_POOL_SIZE = 1
    drivers.pool.refill()
    assert drivers.pool.idle_count() == 1

    body = browser_reset(alice_api)

    assert body["observation"]["title"] == "My Patients · EHRGym"
    drivers.pool.wait_for_refill(timeout=30)
    assert drivers.pool.idle_count() == 1  # refilled in the background
