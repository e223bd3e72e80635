"""The JavaScript run in episode pages (kept in .js files beside this module)."""

from pathlib import Path

from selenium.common.exceptions import JavascriptException

_HERE = Path(__file__).resolve().parent

AXTREE_JS = (_HERE / "axtree.js").read_text()
MARKS_JS = (_HERE / "marks.js").read_text()
UNMARK_JS = "document.querySelectorAll('[data-ehrgym-overlay]').forEach((el) => el.remove());"
AXTREE_OPTIONS = {"maxName": 100, "maxLines": 4000}

# The accessibility tree once the page has settled (run with execute_async_script). The
# EHR's pages change without a page load (static/navigation.js), which WebDriver does not
# wait for: a click on a link returns while the next page is still being fetched. This
# waits for the Navigation API's transition in progress, if any, and then reads the page.
# A form submitted by the action navigates in the task after its click: hence one timer
# turn first.
OBSERVE_JS = """
const done = arguments[arguments.length - 1];
const options = arguments[0];
const read = function () {
/* axtree.js */
};
(async function () {
  await new Promise((resolve) => setTimeout(resolve, 0));
  while (window.navigation && navigation.transition) {
    try { await navigation.transition.finished; } catch (error) { /* failed or superseded: read what shows */ }
  }
  return read.call(null, options);
})().then(done, (error) => done({error: String((error && error.stack) || error)}));
""".replace("/* axtree.js */", AXTREE_JS)


# The same wait without the reading: between the calls of a multi-action step (a BrowserGym
# string of several calls), so the next call finds the page the previous one led to.
SETTLE_JS = """
const done = arguments[arguments.length - 1];
(async function () {
  await new Promise((resolve) => setTimeout(resolve, 0));
  while (window.navigation && navigation.transition) {
    try { await navigation.transition.finished; } catch (error) { /* failed or superseded */ }
  }
})().then(() => done(true), () => done(true));
"""


def page_settle(driver) -> None:
    """Wait until a page change the last action started is done."""
    try:
        driver.execute_async_script(SETTLE_JS)
    except JavascriptException as error:
        # An ordinary page load replaced the document while the script waited: WebDriver waited for that load.
        if "unloaded" not in (error.msg or ""):
            raise


def read_page(driver) -> dict:
    """{tree, focused, title, url, ...} of the page, once a page change in progress is done."""
    try:
        page = driver.execute_async_script(OBSERVE_JS, AXTREE_OPTIONS)
    except JavascriptException as error:
        # An ordinary page load replaced the document while the script waited (navigation.js
        # hands the browser what it cannot swap in): WebDriver waits for that load; read it.
        if "unloaded" not in (error.msg or ""):
            raise
        page = driver.execute_async_script(OBSERVE_JS, AXTREE_OPTIONS)
    if "error" in page:
        raise JavascriptException(f"Reading the page failed: {page['error']}")
    return page
