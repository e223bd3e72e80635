"""Page changes without page loads (static/navigation.js), in real headless Chromium.

A value set on `window` survives a page the EHR swaps in and is gone after an ordinary
page load: that tells the two apart.
"""

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in
from notes.models import Note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MRN = factories.ALICE_MRN


def mark_document(chrome) -> None:
    chrome.execute_script("window.ehrgymSameDocument = true;")


def same_document(chrome) -> bool:
    return chrome.execute_script("return window.ehrgymSameDocument === true;")


def signed_in_at(live_server, chrome, path: str = "") -> WebDriverWait:
    """Sign in at Alice's chart page `path` and mark the document; returns a 10 s wait."""
    wait = WebDriverWait(chrome, 10)
    sign_in(chrome, wait, f"{live_server.url}/patients/{MRN}/{path}")
    mark_document(chrome)
    return wait


def settled(driver) -> bool:
    return driver.execute_script("return document.readyState === 'complete' && !navigation.transition;")


def test_links_swap_pages_in_with_their_stylesheets_and_history_works(live_server, chrome):
    factories.make_user()
    factories.make_alice()
    wait = signed_in_at(live_server, chrome)
    assert chrome.find_element(*by_testid("storyboard-allergies"))

    click_to_page(chrome, wait, by_testid("chart-tab-orders"))
    assert same_document(chrome)
    assert chrome.current_url == f"{live_server.url}/patients/{MRN}/orders/"
    assert chrome.title.startswith("Orders") and chrome.find_element(*by_testid("orders-search-input"))
    # The orders page's own stylesheet was added (and is applied) before the page showed.
    stylesheets = chrome.execute_script(
        "return Array.from(document.styleSheets, (sheet) => sheet.href && new URL(sheet.href).pathname);")
    assert any(path.endswith("/orders.css") for path in stylesheets if path)

    click_to_page(chrome, wait, by_testid("chart-tab-summary"))
    assert same_document(chrome)
    stylesheets = chrome.execute_script("return Array.from(document.styleSheets, (sheet) => sheet.href);")
    assert not any(href and "orders.css" in href for href in stylesheets)  # dropped with the page

    chrome.back()
    wait.until(settled)
    assert chrome.current_url.endswith("/orders/") and chrome.find_element(*by_testid("orders-search-input"))
    chrome.back()
    wait.until(settled)
    assert chrome.current_url == f"{live_server.url}/patients/{MRN}/"
    assert chrome.find_element(*by_testid("storyboard-allergies"))
    chrome.forward()
    wait.until(settled)
    assert chrome.current_url.endswith("/orders/") and chrome.title.startswith("Orders")
    assert same_document(chrome)

    chrome.refresh()  # a reload is an ordinary page load
    wait.until(settled)
    assert not same_document(chrome) and chrome.title.startswith("Orders")


def test_a_form_is_posted_and_the_address_follows_its_redirect(live_server, chrome):
    factories.make_user()
    alice = factories.make_alice()
    wait = signed_in_at(live_server, chrome, "medications/")
    history_length = chrome.execute_script("return history.length;")

    chrome.find_element(*by_testid("medication-discontinue-reason-314076")).send_keys("Cough")
    click_to_page(chrome, wait, by_testid("medication-discontinue-314076"))

    assert same_document(chrome)
    assert chrome.current_url == f"{live_server.url}/patients/{MRN}/medications/"  # not .../discontinue/
    assert chrome.find_element(*by_testid("flash-success")).text == "Discontinued lisinopril 10 MG Oral Tablet."
    assert chrome.execute_script("return history.length;") == history_length + 1
    assert alice.medications.get(rxnorm="314076").status == "stopped"


def test_what_is_not_an_ehr_page_is_loaded_the_ordinary_way(live_server, chrome):
    factories.make_user()
    factories.make_alice()
    wait = signed_in_at(live_server, chrome)

    chrome.execute_script("location.assign('/openenv/health');")  # not a page of the EHR
    wait.until(lambda driver: not same_document(driver) and settled(driver))
    assert chrome.current_url == f"{live_server.url}/openenv/health"
    assert '"healthy"' in chrome.page_source


def test_a_form_answered_with_something_else_than_a_page_leaves_the_page_as_it_was(live_server, chrome, artifacts_dir):
    factories.make_user()
    alice = factories.make_alice()
    note = factories.add_note(alice, "Draft", "Draft text", days_ago=0, status="draft")
    wait = signed_in_at(live_server, chrome)
    # A form of the page posting where the answer is JSON (the note editor's autosave).
    chrome.execute_script("""
        const form = document.createElement("form");
        form.method = "post"; form.action = arguments[0];
        form.innerHTML = '<input type="hidden" name="autosave" value="1">' +
                         '<button data-testid="odd-form-submit">Send</button>';
        form.append(document.querySelector('[name="csrfmiddlewaretoken"]').cloneNode());
        document.querySelector("main").append(form);
    """, f"/patients/{MRN}/notes/{note.pk}/save/")
    chrome.find_element(*by_testid("odd-form-submit")).click()

    problem = wait.until(EC.visibility_of_element_located(by_testid("navigation-problem")))
    assert problem.text.startswith("The EHR answered with something that is not a page (HTTP 403)")
    chrome.save_screenshot(str(artifacts_dir / "e2e_navigation_problem.png"))
    wait.until(settled)
    assert chrome.current_url == f"{live_server.url}/patients/{MRN}/" and same_document(chrome)
    assert chrome.find_element(*by_testid("storyboard-allergies"))


def test_leaving_a_note_by_a_link_saves_what_was_typed(live_server, chrome):
    """The note editor saves on pagehide; a page swapped in tells it with "ehr:leave" instead."""
    factories.make_user()
    factories.make_alice()
    wait = WebDriverWait(chrome, 10)
    sign_in(chrome, wait, f"{live_server.url}/patients/{MRN}/notes/new/")
    chrome.find_element(*by_testid("note-title")).send_keys("Phone call")
    click_to_page(chrome, wait, by_testid("note-create"))  # a page with its own script, swapped in
    mark_document(chrome)
    note = Note.objects.get(title="Phone call")

    chrome.find_element(*by_testid("note-text")).send_keys("Discussed home BP readings.")
    click_to_page(chrome, wait, by_testid("chart-tab-summary"))  # well before the 5 s autosave

    assert same_document(chrome)

    def saved(_) -> bool:
        note.refresh_from_db()
        return note.text == "Discussed home BP readings."

    WebDriverWait(chrome, 4).until(saved)


def test_of_two_quick_clicks_the_second_page_is_the_one_shown(live_server, chrome):
    factories.make_user()
    factories.make_alice()
    wait = signed_in_at(live_server, chrome)

    chrome.execute_script("""
        document.querySelector('[data-testid="chart-tab-orders"]').click();
        document.querySelector('[data-testid="chart-tab-results"]').click();
    """)
    wait.until(settled)
    wait.until(lambda driver: driver.title.startswith("Results"))
    assert chrome.current_url == f"{live_server.url}/patients/{MRN}/results/" and same_document(chrome)
    assert not chrome.find_elements(*by_testid("orders-search-input"))
