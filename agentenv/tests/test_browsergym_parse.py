"""BrowserGym action strings are read, never run: each function of its high-level action set becomes the EHRGym
action that does the same; anything but a call of a known function with literal arguments is refused with a
message. And the axtree is printed in BrowserGym's flattened text form."""

import pytest

from agentenv.actions import browsergym_parse, parse_action
from agentenv.actions.browsergym_parse import (
    MAX_CALLS,
    BrowserGymSyntaxError,
    browsergym_actions,
    key_comb_of,
    scored_action,
)
from agentenv.browser.axtree_txt import axtree_txt_of
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN

RESET = "/api/v1/episodes"


@pytest.mark.parametrize("text, expected", [
    ("click('12')", {"type": "click", "bid": "12", "button": "left", "modifiers": []}),
    ("click('b22', button='right')", {"type": "click", "bid": "b22", "button": "right", "modifiers": []}),
    ('click("48", "middle", ["Shift"])', {"type": "click", "bid": "48", "button": "middle", "modifiers": ["Shift"]}),
    ("dblclick('12')", {"type": "dblclick", "bid": "12"}),
    ("hover('b8')", {"type": "hover", "bid": "b8"}),
    ("focus('b455')", {"type": "focus", "bid": "b455"}),
    ("clear('996')", {"type": "clear", "bid": "996"}),
    ("fill('237', 'example value')", {"type": "fill", "bid": "237", "value": "example value"}),
    ("fill('45', \"multi-line\\nexample\")", {"type": "fill", "bid": "45", "value": "multi-line\nexample"}),
    ("fill(bid='a12', value='with \"quotes\"')", {"type": "fill", "bid": "a12", "value": 'with "quotes"'}),
    ("select_option('a48', 'blue')", {"type": "select_option", "bid": "a48", "options": "blue"}),
    ("select_option('c48', ['red', 'green'])", {"type": "select_option", "bid": "c48", "options": ["red", "green"]}),
    ("press('88', 'Backspace')", {"type": "press", "bid": "88", "key_comb": "Backspace"}),
    ("press('a26', 'ControlOrMeta+a')", {"type": "press", "bid": "a26", "key_comb": "Control+a"}),
    ("press('a61', 'Meta+Shift+KeyT')", {"type": "press", "bid": "a61", "key_comb": "Meta+Shift+t"}),
    ("keyboard_press('PageDown')", {"type": "press", "key_comb": "PageDown"}),
    ("keyboard_type('Hello world!')", {"type": "keyboard_type", "text": "Hello world!"}),
    ("scroll(0, 200)", {"type": "scroll", "dx": 0, "dy": 200}),
    ("scroll(-50.2, -100.5)", {"type": "scroll", "dx": -50, "dy": -100}),
    ("mouse_click(887.2, 68)", {"type": "mouse_click", "x": 887, "y": 68, "button": "left"}),
    ("goto('/patients/')", {"type": "goto", "url": "/patients/"}),
    ("go_back()", {"type": "go_back"}),
    ("go_forward()", {"type": "go_forward"}),
    ("noop()", {"type": "noop", "wait_ms": 1000}),  # BrowserGym's default wait
    ("noop(500)", {"type": "noop", "wait_ms": 500}),
    ("send_msg_to_user('The city was built in 1751.')", {"type": "answer", "answer": "The city was built in 1751."}),
    ("report_infeasible('There is no email field in this form.')",
     {"type": "report_infeasible", "reason": "There is no email field in this form."}),
])
def test_it_reads_each_function_of_the_action_set_as_the_ehrgym_action(text, expected):
    assert browsergym_actions(text) == [expected]
    parse_action(expected)  # a valid EHRGym action as it stands


def test_it_reads_several_calls_one_a_line_in_order():
    text = """
        fill('patient-list-search', 'E1000001')
        # BrowserGym's agents may comment their actions
        press('patient-list-search', 'Enter')
    """.replace("        ", "")
    assert [a["type"] for a in browsergym_actions(text)] == ["fill", "press"]
    assert browsergym_actions("click('1'); click('2')") == [
        {"type": "click", "bid": "1", "button": "left", "modifiers": []},
        {"type": "click", "bid": "2", "button": "left", "modifiers": []},
    ]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("# only a comment", "no call"),
    ("click('12'", "syntax error"),
    ("Click the Sign button", "syntax error"),
    ("tab_focus(2)", "does not support"),
    ("drag_and_drop('56', '498')", "does not support"),
    ("sign_orders()", "Unknown BrowserGym action 'sign_orders'"),
    ("click(12)", "bids are strings"),
    ("click()", "needs the argument 'bid'"),
    ("click('1', '2', [], 4)", "at most 3 arguments"),
    ("click('1', bid='2')", "given twice"),
    ("fill('1', text='x')", "no argument 'text'"),
    ("noop(True)", "must be a number"),
    ("select_option('1', ['a', 2])", "a string or a list of strings"),
    ("dblclick('1', button='right')", "only a left double-click"),
    ("send_msg_to_user('done')\nclick('1')", "must be the last call"),
    ("\n".join(["noop(0)"] * (MAX_CALLS + 1)), f"at most {MAX_CALLS}"),
])
def test_it_refuses_what_is_not_a_supported_call_with_a_message(text, message):
    with pytest.raises(BrowserGymSyntaxError, match=message):
        browsergym_actions(text)


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/pwned')",
    "__import__('os')",
    "click(__import__('os').getcwd())",
    "fill('1', open('/etc/passwd').read())",
    "click('1' + '2')",
    "click(bid)",
    "click(*['1'])",
    "click(**{'bid': '1'})",
    "import os",
    "x = click('1')",
    "exec(\"click('1')\")",
    "page.goto('http://example.com')",
    "(lambda: click('1'))()",
    "click(f'{1}')",
    "click('1') if True else noop()",
    "(" * 300 + ")" * 300,
    "click('1')\x00",
])
def test_it_never_runs_code_and_refuses_anything_but_literal_calls(text):
    with pytest.raises(BrowserGymSyntaxError):
        browsergym_actions(text)


def test_it_translates_playwright_key_names():
    assert key_comb_of("ControlOrMeta+KeyA") == "Control+a"
    assert key_comb_of("Shift+Digit1") == "Shift+1"
    assert key_comb_of("Control+Minus") == "Control+-"
    assert key_comb_of("Control++") == "Control++"
    assert key_comb_of("Enter") == "Enter"


def test_a_rubric_judges_a_browsergym_step_by_its_last_call():
    infeasible = {"type": "browsergym", "action": "noop(0)\nreport_infeasible('unsafe dose of warfarin')"}
    assert scored_action(infeasible) == {"type": "report_infeasible", "reason": "unsafe dose of warfarin"}
    unreadable = {"type": "browsergym", "action": "report_infeasible("}
    assert scored_action(unreadable) is unreadable
    assert scored_action({"type": "finish"}) == {"type": "finish"}


def test_every_step_rescores_the_earlier_ones_but_each_string_is_parsed_once(monkeypatch):
    """A step's reward judges the whole trajectory again: re-parsing every earlier BrowserGym string made each step
    of an episode dearer than the one before."""
    parsed = []
    real = browsergym_parse.browsergym_actions
    monkeypatch.setattr(browsergym_parse, "browsergym_actions", lambda text: parsed.append(text) or real(text))
    browsergym_parse._last_call.cache_clear()
    trajectory = [{"type": "browsergym", "action": f"click('patient-link-{mrn}')"} for mrn in ("1", "2", "3")]
    for step in range(1, len(trajectory) + 1):
        scored = [scored_action(action) for action in trajectory[:step]]
    assert sorted(parsed) == sorted(action["action"] for action in trajectory)
    assert scored[0] == {"type": "click", "bid": "patient-link-1", "button": "left", "modifiers": []}
    scored[0]["modifiers"].append("Shift")  # what a caller does with its copy stays with it
    assert scored_action(trajectory[0])["modifiers"] == []


# --- axtree_txt -------------------------------------------------------------------------

AXTREE = '''RootWebArea "Orders · EHRGym"
  banner
    [toolbar-user] group "Signed in"
      StaticText "alice"
  main
    heading "Orders" level=1
    [orders-search-input] searchbox "Search orderables" placeholder="Drug or test" focused required
    [note-title] textbox placeholder="Title"
    [composer-route] combobox "Route" value="oral"
      option "oral" selected
      option "IV"
    [composer-prn] checkbox "PRN" unchecked
    [composer-stat] checkbox "STAT" checked disabled
    [toggle] button "More" collapsed
    group
      [row-1] link "Aspirin 81 \\"EC\\" tab"
      StaticText "Aspirin"
    [chart-tab-orders] tab "Orders" current=page
    [3] generic'''


def test_it_prints_the_axtree_in_browsergyms_flattened_form():
    assert axtree_txt_of(AXTREE).split("\n") == [
        "RootWebArea 'Orders · EHRGym'",
        "\tbanner ''",
        "\t\t[toolbar-user] group 'Signed in'",
        "\t\t\tStaticText 'alice'",
        "\tmain ''",
        "\t\theading 'Orders'",  # level: a property BrowserGym leaves out
        "\t\t[orders-search-input] searchbox 'Search orderables' value='', focused, required",
        "\t\t[note-title] textbox 'Title' value=''",  # named by its placeholder, as Chromium does
        "\t\t[composer-route] combobox 'Route' value='oral'",
        "\t\t\toption 'oral', selected=True",
        "\t\t\toption 'IV'",
        "\t\t[composer-prn] checkbox 'PRN', checked='false'",
        "\t\t[composer-stat] checkbox 'STAT', checked='true', disabled=True",
        "\t\t[toggle] button 'More', expanded=False",
        # A nameless group is left out, its children move up; text in the parent's name is not repeated.
        "\t\t[row-1] link 'Aspirin 81 \"EC\" tab'",
        "\t\tStaticText 'Aspirin'",
        "\t\t[chart-tab-orders] tab 'Orders', current='page'",
        "\t\t[3] generic",
    ]


@EPISODE_DBS
def test_a_bare_string_action_is_a_browsergym_action_that_needs_browser_mode(golden, alice_api):
    episode_id = alice_api.post(RESET, {"patient_mrn": MARIA_MRN, "instruction": "Look."}, format="json").json()[
        "episode_id"]

    for action in ("click('12')", {"type": "browsergym", "action": "click('12')"}):
        response = alice_api.post(f"{RESET}/{episode_id}/step", {"action": action}, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["observation"]["last_action_error"].startswith("BrowserGym actions need a browser-mode episode")
        assert body["info"]["action_type"] == "browsergym" and "axtree_txt" not in body["observation"]
    trajectory = alice_api.get(f"{RESET}/{episode_id}/trajectory").json()
    assert [s["action"] for s in trajectory["steps"]] == [{"type": "browsergym", "action": "click('12')"}] * 2
