"""Clinical notes through semantic actions: the Notes activity's services on the
episode's own database. The agent writes as the episode's owner (alice); Maria's chart
also holds a draft by another clinician, which the agent may read but not change."""

from datetime import UTC, datetime

import pytest
from django.db import connections

from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from clinical.models import AuditEvent, Patient
from notes import standard_templates
from notes.models import Note, NoteTemplate

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


@pytest.fixture
def chart_notes(golden) -> dict:
    """The shipped note templates (their data migration installed them, but a
    transactional test before this one may have flushed them) and Dr. Smith's draft
    on Maria's chart."""
    standard_templates.install(NoteTemplate, using="golden")
    maria = Patient.objects.using("golden").get(mrn=MARIA_MRN)
    draft = Note.objects.using("golden").create(
        patient=maria, note_type=Note.NoteType.PROGRESS, title="Telephone follow-up", text="Called about A1c.",
        author="drsmith", author_name="Dana Smith", created_at=datetime(2024, 5, 2, 15, tzinfo=UTC),
    )
    # Episodes copy the golden database as a template: nobody may stay connected to it.
    connections["golden"].close()
    return {"draft": draft.pk}


def ok(step) -> dict:
    assert step.error == "", step.error
    assert step.reward == 0.0
    return step.observation["last_action_result"]


def events(episode, action: str) -> list[AuditEvent]:
    with bind_episode(episode):
        return list(AuditEvent.objects.filter(action=action))


def test_it_lists_templates_and_smart_phrases(alice, chart_notes):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    every = act(episode, type="list_note_templates")
    progress = ok(act(episode, type="list_note_templates", note_type="progress"))

    assert {t["key"] for t in ok(every)["templates"]} == {t.key for t in standard_templates.STANDARD_TEMPLATES}
    (soap,) = progress["templates"]
    assert soap["key"] == "soap-progress" and ".vitals" in soap["body"]
    assert ".vitals" in {p["phrase"] for p in progress["smart_phrases"]}
    assert every.observation["route"] == f"/patients/{MARIA_MRN}/notes/new/"


def test_it_creates_a_note_with_expanded_vitals_signs_it_and_adds_an_addendum(alice, chart_notes):
    episode = start(alice, mrn=JAMES_MRN)
    act(episode, type="record_vitals", mrn=JAMES_MRN, values={"bp_systolic": 182, "bp_diastolic": 104})

    created_step = act(episode, type="create_note", mrn=JAMES_MRN, note_type="progress", title="Hypertension visit",
                       text="BP recheck.\n.vitals\nPlan: start lisinopril.")
    created = ok(created_step)["note"]
    signed = ok(act(episode, type="sign_note", note_id=created["id"]))["note"]
    edit_after_sign = act(episode, type="edit_note", note_id=created["id"], text="Changed my mind.")
    addendum_step = act(episode, type="add_addendum", note_id=created["id"], text="Patient called: BP at home 150/90.")
    addendum = ok(addendum_step)["note"]
    read = ok(act(episode, type="read_note", note_id=created["id"]))

    assert (created["status"], created["author"], created["title"]) == ("draft", "alice", "Hypertension visit")
    assert "182/104" in created["text"] and ".vitals" not in created["text"]
    assert created_step.observation["route"] == f"/patients/{JAMES_MRN}/notes/{created['id']}/"
    assert (signed["status"], signed["text"]) == ("signed", created["text"]) and signed["signed_at"]
    assert "can no longer be changed; add an addendum instead" in edit_after_sign.error
    assert edit_after_sign.reward == -INVALID_ACTION_PENALTY
    assert (addendum["parent_id"], addendum["status"], addendum["title"]) == (
        created["id"], "signed", "Addendum to Hypertension visit")
    assert addendum_step.observation["route"] == f"/patients/{JAMES_MRN}/notes/{created['id']}/"
    assert read["note"]["text"] == created["text"] and [a["id"] for a in read["addenda"]] == [addendum["id"]]
    steps = {name: [e.episode_step for e in events(episode, name)]
             for name in ("note.create", "note.sign", "note.addendum")}
    assert steps == {"note.create": [2], "note.sign": [3], "note.addendum": [5]}
    (create,) = events(episode, "note.create")
    assert (create.actor, create.details["expanded"]) == ("alice", ["vitals"])


def test_it_starts_a_note_from_a_template_and_edits_the_draft(alice, chart_notes):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    created = ok(act(episode, type="create_note", note_type="progress", template="soap-progress"))["note"]
    edited = ok(act(episode, type="edit_note", note_id=created["id"], title="Diabetes visit",
                    text=created["text"] + "\nA1c improving. .frobnicate"))

    assert (created["title"], created["template"]) == ("SOAP Progress Note", "soap-progress")
    assert created["text"].startswith("Patient: Maria Garcia, ") and f"MRN {MARIA_MRN}" in created["text"]
    assert "Penicillin V (Hives)" in created["text"] and ".allergies" not in created["text"]
    assert edited["note"]["title"] == "Diabetes visit" and edited["note"]["status"] == "draft"
    assert edited["note"]["text"].endswith("A1c improving. .frobnicate")
    (warning,) = edited["warnings"]
    assert warning.startswith("Unknown smart phrase .frobnicate left as typed.")
    (edit,) = events(episode, "note.edit")
    assert (edit.details["fields"], edit.episode_step) == (["text", "title"], 3)


def test_it_lets_the_agent_read_but_not_change_another_clinicians_draft(alice, chart_notes):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    read = ok(act(episode, type="read_note", note_id=chart_notes["draft"]))
    edit = act(episode, type="edit_note", note_id=chart_notes["draft"], text="Mine now.")
    sign = act(episode, type="sign_note", note_id=chart_notes["draft"])

    assert (read["note"]["author"], read["note"]["text"], read["addenda"]) == ("drsmith", "Called about A1c.", [])
    for step in (edit, sign):
        assert step.error == "Only the author of this draft (Dana Smith) can edit or sign it."
        assert step.reward == -INVALID_ACTION_PENALTY
    with bind_episode(episode):
        assert Note.objects.get(pk=chart_notes["draft"]).status == Note.Status.DRAFT
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "action, message",
    [
        ({"type": "create_note", "note_type": "memo"}, "create_note.note_type: Input should be"),
        ({"type": "create_note", "note_type": "progress", "template": "discharge-summary"},
         "template: Template 'Discharge Summary' is for Discharge Summary notes, not Progress Note notes."),
        ({"type": "create_note", "note_type": "progress", "template": "nope"}, "Unknown note template 'nope'"),
        ({"type": "create_note", "note_type": "progress", "title": "x" * 201}, "A title can have at most 200"),
        ({"type": "read_note", "note_id": 999}, "No note #999 on the chart of Garcia, Maria"),
        ({"type": "sign_note", "note_id": 999}, "No note #999"),
        ({"type": "add_addendum", "note_id": "DRAFT", "text": "More."}, "Only a signed note can have addenda"),
        ({"type": "edit_note", "note_id": "DRAFT", "title": "Mine", "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_it_reports_bad_note_input_with_a_penalty_and_changes_nothing(alice, chart_notes, action, message):
    episode = start(alice)
    if action.get("note_id") == "DRAFT":
        action = {**action, "note_id": chart_notes["draft"]}

    step = act(episode, mrn=MARIA_MRN, **action)

    assert message in step.observation["last_action_error"]
    assert step.reward == -INVALID_ACTION_PENALTY
    with bind_episode(episode):
        assert list(Note.objects.values_list("pk", flat=True)) == [chart_notes["draft"]]
        assert not AuditEvent.objects.exists()


def test_it_refuses_a_note_of_another_patient_and_an_empty_signature(alice, chart_notes):
    episode = start(alice)
    james_note = ok(act(episode, type="create_note", mrn=JAMES_MRN, note_type="progress"))["note"]

    elsewhere = act(episode, type="sign_note", mrn=MARIA_MRN, note_id=james_note["id"])
    empty = act(episode, type="sign_note", mrn=JAMES_MRN, note_id=james_note["id"])

    assert elsewhere.error.startswith(f"No note #{james_note['id']} on the chart of Garcia, Maria (MRN {MARIA_MRN})")
    assert empty.error == "text: A note cannot be signed without text."
    with bind_episode(episode):
        assert Note.objects.get(pk=james_note["id"]).status == Note.Status.DRAFT


def test_it_lists_the_note_actions_with_their_schemas(alice_api):
    actions = {a["type"]: a for a in alice_api.get("/api/v1/actions").json()["actions"]}

    names = {"list_note_templates", "create_note", "edit_note", "sign_note", "add_addendum", "read_note"}
    assert names <= set(actions)
    for name in names:
        schema = actions[name]["json_schema"]
        assert schema["additionalProperties"] is False and actions[name]["description"], name
        assert all(field.get("description") for field in schema["properties"].values()), name
