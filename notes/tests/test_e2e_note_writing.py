"""End to end in real headless Chromium: a clinician writes, expands, signs and addends a note."""

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in
from notes.models import Note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(chrome, wait, live_server):
    sign_in(chrome, wait, f"{live_server.url}/patients/{factories.ALICE_MRN}/")


def post_edit(chrome, save_url: str) -> int:
    """Try to overwrite the note from this browser session, as a stale tab would."""
    return chrome.execute_async_script(
        """
        const [url, done] = arguments;
        const data = new FormData(document.querySelector('[data-testid="note-addendum-form"]'));
        data.set("title", "Rewritten"); data.set("text", "Rewritten"); data.set("autosave", "1");
        fetch(url, {method: "POST", body: data, credentials: "same-origin"}).then((r) => done(r.status));
        """,
        save_url,
    )


def test_it_writes_a_progress_note_with_vitals_signs_it_and_adds_an_addendum(live_server, chrome, artifacts_dir,
                                                                             settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    factories.make_user("drsmith", "secret-pass-123")
    factories.make_alice()
    wait = WebDriverWait(chrome, 10)
    log_in(chrome, wait, live_server)

    click_to_page(chrome, wait, wait.until(EC.element_to_be_clickable(by_testid("chart-tab-notes"))))
    click_to_page(chrome, wait, wait.until(EC.element_to_be_clickable(by_testid("note-new"))))
    Select(wait.until(EC.presence_of_element_located(by_testid("note-type-select")))).select_by_value("progress")
    chrome.find_element(*by_testid("note-title")).send_keys("Hypertension follow-up")
    click_to_page(chrome, wait, by_testid("note-create"))

    text = wait.until(EC.presence_of_element_located(by_testid("note-text")))
    text.send_keys("S: Home BPs 140s.\nO: .vitals\nA/P: Uncontrolled HTN; increase lisinopril.")
    note = Note.objects.get(title="Hypertension follow-up")

    def autosaved(_) -> bool:
        note.refresh_from_db()
        return note.text.endswith("increase lisinopril.")

    WebDriverWait(chrome, 12).until(autosaved)  # the background save, every few seconds
    assert ".vitals" in note.text  # autosave keeps the text as typed
    status = chrome.find_element(*by_testid("note-autosave-status"))
    wait.until(lambda _: status.text.startswith("Draft saved"))

    click_to_page(chrome, wait, by_testid("note-expand"))
    wait.until(EC.presence_of_element_located(by_testid("note-message")))
    expanded = chrome.find_element(*by_testid("note-text")).get_attribute("value")
    assert "O: Vitals (" in expanded and "BP 147/87 mmHg (H), Pulse 81/min" in expanded and ".vitals" not in expanded
    chrome.find_element(*by_testid("smartphrase-allergies")).click()  # the picker inserts the expanded text
    wait.until(lambda driver: driver.find_element(*by_testid("note-text")).get_attribute("value").endswith(
        "Peanut (substance) (Hives, moderate); Penicillin V (Anaphylaxis, severe)"))
    chrome.save_screenshot(str(artifacts_dir / "e2e_note_editor.png"))

    click_to_page(chrome, wait, by_testid("note-sign"))
    signature = wait.until(EC.presence_of_element_located(by_testid("note-signature")))
    assert "Electronically signed by Dana Smith" in signature.text
    assert "Signed" in chrome.find_element(*by_testid("note-status")).text
    signed_text = chrome.find_element(*by_testid("note-text"))
    assert signed_text.tag_name == "pre" and "BP 147/87 mmHg (H)" in signed_text.text
    assert "Penicillin V (Anaphylaxis, severe)" in signed_text.text
    assert not chrome.find_elements(*by_testid("note-save")) and not chrome.find_elements(*by_testid("note-sign"))
    chrome.save_screenshot(str(artifacts_dir / "e2e_note_signed.png"))
    assert post_edit(chrome, f"{live_server.url}/patients/{factories.ALICE_MRN}/notes/{note.pk}/save/") == 409

    chrome.find_element(*by_testid("note-addendum-text")).send_keys("Called patient: home BP log reviewed.")
    click_to_page(chrome, wait, by_testid("note-addendum-submit"))
    addenda = wait.until(EC.presence_of_element_located(by_testid("note-addenda")))
    assert "Called patient: home BP log reviewed." in addenda.text
    note.refresh_from_db()
    assert note.status == "signed" and note.title == "Hypertension follow-up" and note.addenda.count() == 1
    assert "BP 147/87 mmHg (H)" in note.text and "Rewritten" not in note.text
    screenshot = artifacts_dir / "e2e_note_addendum.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
