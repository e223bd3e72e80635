"""Browser actions (BrowserGym style): what a clinician does with mouse and keyboard, on the
element ids (bids) of the observation's accessibility tree.

They need a browser-mode episode (reset with "mode": "browser"). Every mistake an agent
can make (an id that is not on the page, hidden or stale, a field that cannot be filled,
a URL outside the EHR) is a clear `last_action_error`, never an exception. A dead browser
is not the agent's mistake: the session restarts it (see agentenv.browser.sessions).
"""

import time
from typing import Literal

from pydantic import Field
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    InvalidElementStateException,
    MoveTargetOutOfBoundsException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.mouse_button import MouseButton
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select

from agentenv.actions.registry import Action, ActionContext, ActionError, ActionResult, action
from agentenv.browser import drivers
from agentenv.browser.isolation import ForbiddenUrl, ehr_url
from agentenv.browser.sessions import BrowserUnavailable, current_session

BID = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Element id: the [bid] before the element in the observation's axtree.")
Button = Literal["left", "middle", "right"]
Modifier = Literal["Alt", "Control", "Meta", "Shift"]

_FIND_JS = """
const bid = arguments[0];
let el = document.querySelector('[data-bid="' + CSS.escape(bid) + '"]');
if (!el) {
  const byTestid = document.querySelectorAll('[data-testid="' + CSS.escape(bid) + '"]');
  if (byTestid.length === 1) el = byTestid[0];
}
if (!el) return "missing";
if (el.closest('[hidden], [aria-hidden="true"]') || !el.checkVisibility({visibilityProperty: true})) return "hidden";
return el;
"""
# A left click in one script call: find the element, check it can take a click as a user's
# would (shown, enabled, not covered where the pointer lands), scroll it to the middle of
# the viewport, focus it and click it. Half the time of WebDriver's click, which sends three
# input events and waits for a frame after each. The page change it starts is waited for
# by the observation that follows (scripts.OBSERVE_JS).
_CLICK_JS = _FIND_JS.replace("return el;\n", """
if (el.disabled || el.getAttribute("aria-disabled") === "true") return "disabled";
el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
const rect = el.getBoundingClientRect();
if (rect.width < 1 || rect.height < 1) return "zero-size";
const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
if (hit && hit !== el && !el.contains(hit)) {
  const bid = hit.getAttribute("data-bid");
  return "covered:" + (bid ? "[" + bid + "] " : "") + hit.tagName.toLowerCase();
}
if (typeof el.focus === "function") el.focus({preventScroll: true});
el.click();
return "clicked";
""")
# Inputs whose value is not typed key by key in Chromium (a date is typed in the locale's
# own field order): their value is set and the input and change events fired, as Playwright's fill does.
_SET_VALUE_TYPES = {"date", "time", "datetime-local", "month", "week", "color", "range"}
_SET_VALUE_JS = """
const [el, value] = arguments;
el.focus();
el.value = value;
el.dispatchEvent(new Event("input", {bubbles: true}));
el.dispatchEvent(new Event("change", {bubbles: true}));
return el.value;
"""
_KEYS = {
    "control": Keys.CONTROL, "ctrl": Keys.CONTROL, "shift": Keys.SHIFT, "alt": Keys.ALT, "meta": Keys.META,
    "command": Keys.META, "cmd": Keys.META, "enter": Keys.ENTER, "return": Keys.ENTER, "tab": Keys.TAB,
    "escape": Keys.ESCAPE, "esc": Keys.ESCAPE, "backspace": Keys.BACKSPACE, "delete": Keys.DELETE,
    "arrowup": Keys.ARROW_UP, "arrowdown": Keys.ARROW_DOWN, "arrowleft": Keys.ARROW_LEFT,
    "arrowright": Keys.ARROW_RIGHT, "pageup": Keys.PAGE_UP, "pagedown": Keys.PAGE_DOWN, "home": Keys.HOME,
    "end": Keys.END, "space": Keys.SPACE, "insert": Keys.INSERT,
    **{f"f{n}": getattr(Keys, f"F{n}") for n in range(1, 13)},
}
_MODIFIERS = {Keys.CONTROL, Keys.SHIFT, Keys.ALT, Keys.META}
_BUTTONS = {"left": MouseButton.LEFT, "middle": MouseButton.MIDDLE, "right": MouseButton.RIGHT}


class BrowserAction(Action):
    """Base of the actions that drive the episode's browser (browser mode only)."""


class Click(BrowserAction):
    """Click an element."""

    type: Literal["click"] = Field(description="Action type.")
    bid: str = BID
    button: Button = Field("left", description="Mouse button.")
    modifiers: list[Modifier] = Field(default_factory=list, max_length=4, description="Keys held during the click.")


class DblClick(BrowserAction):
    """Double-click an element."""

    type: Literal["dblclick"] = Field(description="Action type.")
    bid: str = BID


class Hover(BrowserAction):
    """Move the mouse over an element."""

    type: Literal["hover"] = Field(description="Action type.")
    bid: str = BID


class Focus(BrowserAction):
    """Give an element the keyboard focus (without clicking it)."""

    type: Literal["focus"] = Field(description="Action type.")
    bid: str = BID


class Fill(BrowserAction):
    """Replace the text of a field (text box, text area, date...) with `value`."""

    type: Literal["fill"] = Field(description="Action type.")
    bid: str = BID
    value: str = Field(max_length=20000, description="The text the field holds afterwards.")


class Clear(BrowserAction):
    """Empty a field."""

    type: Literal["clear"] = Field(description="Action type.")
    bid: str = BID


class SelectOption(BrowserAction):
    """Choose option(s) of a drop-down list, by their visible text (or value)."""

    type: Literal["select_option"] = Field(description="Action type.")
    bid: str = BID
    options: str | list[str] = Field(description="Text (or value) of the option, or a list for a multi-select.")


class Press(BrowserAction):
    """Press a key or key combination, e.g. "Enter", "Control+a", "Shift+Tab"."""

    type: Literal["press"] = Field(description="Action type.")
    key_comb: str = Field(min_length=1, max_length=60, description='Keys joined by "+", e.g. "Control+a".')
    bid: str | None = Field(None, min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:-]+$",
                            description="Element to focus first; default: the focused element.")


class Scroll(BrowserAction):
    """Scroll the page by (dx, dy) pixels; positive dy scrolls down."""

    type: Literal["scroll"] = Field(description="Action type.")
    dx: int = Field(0, ge=-20000, le=20000, description="Pixels to the right.")
    dy: int = Field(0, ge=-20000, le=20000, description="Pixels down.")


class MouseClick(BrowserAction):
    """Click at a point of the viewport (e.g. read off the screenshot)."""

    type: Literal["mouse_click"] = Field(description="Action type.")
    x: int = Field(ge=0, lt=drivers.WINDOW_SIZE[0], description="Pixels from the left of the viewport.")
    y: int = Field(ge=0, lt=drivers.WINDOW_SIZE[1], description="Pixels from the top of the viewport.")
    button: Button = Field("left", description="Mouse button.")


class KeyboardType(BrowserAction):
    """Type text into the focused element, key by key."""

    type: Literal["keyboard_type"] = Field(description="Action type.")
    text: str = Field(min_length=1, max_length=20000, description="The text to type.")


class Goto(BrowserAction):
    """Open a page of the EHR by URL (a path like /patients/ or an absolute URL of the EHR)."""

    type: Literal["goto"] = Field(description="Action type.")
    url: str = Field(min_length=1, max_length=2000, description="Path or absolute URL of an EHR page.")


class GoBack(BrowserAction):
    """The browser's Back button."""

    type: Literal["go_back"] = Field(description="Action type.")


class GoForward(BrowserAction):
    """The browser's Forward button."""

    type: Literal["go_forward"] = Field(description="Action type.")


class Noop(BrowserAction):
    """Do nothing (optionally wait), then observe the page again."""

    type: Literal["noop"] = Field(description="Action type.")
    wait_ms: int = Field(0, ge=0, le=10000, description="Milliseconds to wait first.")


# --- Running them --------------------------------------------------------------------------


def _run(operation) -> ActionResult:
    """Run `operation(driver)` on the episode's browser; turn refusals into agent errors."""
    session = current_session()
    if session is None:
        raise ActionError('Browser actions need a browser-mode episode: reset with "mode": "browser".')
    try:
        data = session.perform(operation)
    except (ActionError, BrowserUnavailable):
        raise
    except StaleElementReferenceException:
        raise ActionError("The element went stale: the page changed. Use a bid from the latest observation.") from None
    except ElementClickInterceptedException as error:
        raise ActionError(f"Another element is on top of it and would get the click: {_first_line(error)}") from None
    except ElementNotInteractableException:
        raise ActionError(
            "The element cannot be interacted with (disabled, read-only, covered or of zero size)."
        ) from None
    except InvalidElementStateException:
        raise ActionError("The element is not an editable field.") from None
    except MoveTargetOutOfBoundsException:
        raise ActionError("That point is outside the viewport.") from None
    except TimeoutException:
        raise ActionError(f"The page did not finish loading within {drivers.PAGE_LOAD_TIMEOUT_S} s.") from None
    except WebDriverException as error:
        raise ActionError(f"The browser refused the action: {_first_line(error)}") from None
    return ActionResult(data=data or {})


def _first_line(error: WebDriverException) -> str:
    lines = (error.msg or str(error)).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _element(driver, bid: str) -> WebElement:
    found = driver.execute_script(_FIND_JS, bid)
    if isinstance(found, str):
        raise ActionError(_refusal(bid, found))
    return found


def _refusal(bid: str, outcome: str) -> str:
    """Why the page script would not use element [bid]."""
    if outcome == "missing":
        return f"No element [{bid}] on the page (unknown or stale id); use a bid from the latest observation."
    if outcome == "hidden":
        return f"Element [{bid}] is hidden; it cannot be used until it is shown."
    if outcome == "disabled":
        return f"Element [{bid}] is disabled."
    if outcome == "zero-size":
        return f"Element [{bid}] has no size on the page: there is nothing to click."
    return f"Another element ({outcome.removeprefix('covered:')}) is on top of [{bid}] and would get the click."


def _keys(key_comb: str) -> tuple[list[str], str]:
    """("Control+a") -> ([CONTROL], "a"). A "+" key is written "Control++"."""
    parts = key_comb[:-2].split("+") + ["+"] if key_comb.endswith("++") else key_comb.split("+")
    keys = []
    for part in parts:
        if len(part) == 1:
            keys.append(part)
        elif part.lower() in _KEYS:
            keys.append(_KEYS[part.lower()])
        else:
            raise ActionError(f"Unknown key {part!r} in {key_comb!r}; use names like Enter, Tab, Control, Shift, "
                              "ArrowDown, PageDown, Backspace, Escape, F5 or single characters.")
    *modifiers, key = keys
    if any(m not in _MODIFIERS for m in modifiers):
        raise ActionError(f"In {key_comb!r} only the last key may be other than Control, Shift, Alt or Meta.")
    return modifiers, key


def _chord(driver, modifiers: list[str], then) -> None:
    chain = ActionChains(driver)
    for modifier in modifiers:
        chain.key_down(modifier)
    then(chain)
    for modifier in reversed(modifiers):
        chain.key_up(modifier)
    chain.perform()


@action(Click)
def click(act: Click, context: ActionContext) -> ActionResult:
    def operation(driver):
        if act.button == "left" and not act.modifiers:
            outcome = driver.execute_script(_CLICK_JS, act.bid)
            if outcome != "clicked":
                raise ActionError(_refusal(act.bid, outcome))
        else:
            element = _element(driver, act.bid)
            modifiers = [_KEYS[m.lower()] for m in act.modifiers]
            builder = ActionBuilder(driver)
            for modifier in modifiers:
                builder.key_action.key_down(modifier)
            builder.pointer_action.move_to(element).click(button=_BUTTONS[act.button])
            for modifier in reversed(modifiers):
                builder.key_action.key_up(modifier)
            builder.perform()
        return {"clicked": act.bid}

    return _run(operation)


@action(DblClick)
def dblclick(act: DblClick, context: ActionContext) -> ActionResult:
    def operation(driver):
        ActionChains(driver).double_click(_element(driver, act.bid)).perform()
        return {"double_clicked": act.bid}

    return _run(operation)


@action(Hover)
def hover(act: Hover, context: ActionContext) -> ActionResult:
    def operation(driver):
        ActionChains(driver).move_to_element(_element(driver, act.bid)).perform()
        return {"hovered": act.bid}

    return _run(operation)


@action(Focus)
def focus(act: Focus, context: ActionContext) -> ActionResult:
    def operation(driver):
        driver.execute_script("arguments[0].focus();", _element(driver, act.bid))
        return {"focused": act.bid}

    return _run(operation)


def _fill(driver, bid: str, value: str) -> dict:
    element = _element(driver, bid)
    tag = element.tag_name.lower()
    if tag == "select":
        raise ActionError(f"[{bid}] is a drop-down list: use select_option.")
    kind = (element.get_attribute("type") or "").lower() if tag == "input" else ""
    if kind in {"checkbox", "radio", "button", "submit", "reset", "image", "file"}:
        raise ActionError(f"[{bid}] is a {kind}, not a text field: use click.")
    if kind in _SET_VALUE_TYPES:
        return {"filled": bid, "value": driver.execute_script(_SET_VALUE_JS, element, value)}
    element.clear()
    if value:
        element.send_keys(value)
    return {"filled": bid, "value": element.get_property("value") if tag in {"input", "textarea"} else value}


@action(Fill)
def fill(act: Fill, context: ActionContext) -> ActionResult:
    return _run(lambda driver: _fill(driver, act.bid, act.value))


@action(Clear)
def clear(act: Clear, context: ActionContext) -> ActionResult:
    return _run(lambda driver: {**_fill(driver, act.bid, ""), "cleared": act.bid})


@action(SelectOption)
def select_option(act: SelectOption, context: ActionContext) -> ActionResult:
    wanted = [act.options] if isinstance(act.options, str) else act.options
    if not wanted:
        raise ActionError("Give at least one option.")

    def operation(driver):
        element = _element(driver, act.bid)
        if element.tag_name.lower() != "select":
            raise ActionError(f"[{act.bid}] is not a drop-down list.")
        select = Select(element)
        if len(wanted) > 1 and not select.is_multiple:
            raise ActionError(f"[{act.bid}] allows one option only.")
        if select.is_multiple:
            select.deselect_all()
        for option in wanted:
            try:
                select.select_by_visible_text(option)
            except NoSuchElementException:
                try:
                    select.select_by_value(option)
                except NoSuchElementException:
                    choices = ", ".join(repr(o.text.strip()) for o in select.options[:30])
                    raise ActionError(f"[{act.bid}] has no option {option!r}; its options are {choices}.") from None
        return {"selected": [o.text.strip() for o in select.all_selected_options]}

    return _run(operation)


@action(Press)
def press(act: Press, context: ActionContext) -> ActionResult:
    modifiers, key = _keys(act.key_comb)

    def operation(driver):
        if act.bid is not None:
            driver.execute_script("arguments[0].focus();", _element(driver, act.bid))
        _chord(driver, modifiers, lambda chain: chain.send_keys(key))
        return {"pressed": act.key_comb}

    return _run(operation)


@action(Scroll)
def scroll(act: Scroll, context: ActionContext) -> ActionResult:
    position = "window.scrollBy(arguments[0], arguments[1]); return [window.scrollX, window.scrollY];"
    return _run(lambda driver: {"scroll_position": driver.execute_script(position, act.dx, act.dy)})


@action(MouseClick)
def mouse_click(act: MouseClick, context: ActionContext) -> ActionResult:
    def operation(driver):
        builder = ActionBuilder(driver)
        builder.pointer_action.move_to_location(act.x, act.y).click(button=_BUTTONS[act.button])
        builder.perform()
        return {"clicked_at": [act.x, act.y]}

    return _run(operation)


@action(KeyboardType)
def keyboard_type(act: KeyboardType, context: ActionContext) -> ActionResult:
    def operation(driver):
        ActionChains(driver).send_keys(act.text).perform()
        return {"typed": len(act.text)}

    return _run(operation)


@action(Goto)
def goto(act: Goto, context: ActionContext) -> ActionResult:
    session = current_session()
    if session is None:
        raise ActionError('Browser actions need a browser-mode episode: reset with "mode": "browser".')
    try:
        url = ehr_url(act.url, base_url=session.base_url)
    except ForbiddenUrl as error:
        raise ActionError(str(error)) from None
    def operation(driver):
        drivers.page_open(driver, url)
        return {"opened": url}

    return _run(operation)


@action(GoBack)
def go_back(act: GoBack, context: ActionContext) -> ActionResult:
    def operation(driver):
        driver.back()
        return {"went": "back"}

    return _run(operation)


@action(GoForward)
def go_forward(act: GoForward, context: ActionContext) -> ActionResult:
    def operation(driver):
        driver.forward()
        return {"went": "forward"}

    return _run(operation)


@action(Noop)
def noop(act: Noop, context: ActionContext) -> ActionResult:
    def operation(driver):
        if act.wait_ms:
            time.sleep(act.wait_ms / 1000)
        return {"waited_ms": act.wait_ms}

    return _run(operation)
