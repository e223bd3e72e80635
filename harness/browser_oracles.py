"""Browser-action oracles: scripted solvers that work a task in the EHR's pages, as a clinician does.

The semantic oracles (harness.oracles) prove a task can be solved with the agent's tools; these
prove it can be solved in the browser: every step is a browser action (click, fill,
select_option, press, goto) on the bids of the observation's accessibility tree, and what an
oracle needs to know (an MRN, a lab value, which alerts fired) it reads from that tree, never
from the instance's facts. Only `answer` and `finish`, the terminal actions both modes share,
are not browser actions.

This module is their machinery: the registry, the reading of the page and the steps the oracles
share. Each oracle stands in the library module beside its template, registered with
`@browser_oracle(name)` under the name of the semantic oracle it mirrors (the template's
`oracle` field), so a template has a browser solution when its oracle name is in
BROWSER_ORACLES once the library is loaded. The protocol is the same: `oracle(instance)` is a
generator that receives each step's observation (`observation = yield action`). harness.runner
runs them with `task_run(..., mode="browser")`.
"""
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse

from clinical.chart_sections import chart_section
from harness.oracles import Policy

BROWSER_ORACLES: dict[str, Policy] = {}


def browser_oracle(name: str):
    """Register `func(instance)` as the browser-action oracle of the semantic oracle `name`."""

    def register(func: Policy) -> Policy:
        if name in BROWSER_ORACLES and BROWSER_ORACLES[name] is not func:
            raise ValueError(f"browser oracle {name!r} is registered twice")
        BROWSER_ORACLES[name] = func
        return func

    return register


def browser_oracle_names() -> set[str]:
    """The names of the semantic oracles that have a browser-action oracle."""
    from harness.library import library_load

    library_load()
    return set(BROWSER_ORACLES)


def browser_oracle_get(name: str) -> Policy:
    from harness.library import library_load

    library_load()
    try:
        return BROWSER_ORACLES[name]
    except KeyError:
        raise KeyError(f"no browser-action oracle {name!r} is registered "
                       f"(known: {', '.join(sorted(BROWSER_ORACLES))})") from None


# --- Reading the page ---------------------------------------------------------------------


class PageError(Exception):
    """The page is not what the oracle expected: the task cannot go on (the runner reports it)."""


def _quoted(group: str) -> str:
    return rf'"(?P<{group}>(?:[^"\\]|\\.)*)"'


# One axtree line (agentenv/browser/axtree.js): `[bid] role "name" value="..." states`; every
# part but the role is optional, and quotes inside a name are escaped with a backslash.
_LINE = re.compile(rf'^(?P<indent> *)(?:\[(?P<bid>[^\]]+)\] )?(?P<role>\S+)(?: {_quoted("name")})?'
                   rf'(?: value={_quoted("value")})?(?P<states>.*)$')


def _unquote(text: str | None) -> str:
    return re.sub(r"\\(.)", r"\1", text) if text else ""


@dataclass
class Node:
    """An element of the accessibility tree."""

    role: str
    name: str = ""
    bid: str | None = None
    value: str = ""
    states: str = ""
    children: list["Node"] = field(default_factory=list)

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find_all(self, *, role: str | None = None, name: str | None = None, bid: str | None = None,
                 bid_prefix: str | None = None) -> list["Node"]:
        """Descendants (and self) with every given property: `name` exact, `bid_prefix` a start of the bid."""
        return [node for node in self.walk()
                if (role is None or node.role == role) and (name is None or node.name == name)
                and (bid is None or node.bid == bid)
                and (bid_prefix is None or (node.bid or "").startswith(bid_prefix))]

    def find(self, **where) -> "Node":
        found = self.find_all(**where)
        if not found:
            raise PageError(f"no element {where} on the page")
        return found[0]

    def has(self, **where) -> bool:
        return bool(self.find_all(**where))

    def cells(self) -> list[str]:
        """A table row's cells (and row headers), by their text."""
        return [child.name for child in self.children if child.role in {"cell", "rowheader", "columnheader"}]

    @property
    def checked(self) -> bool:
        return "checked" in self.states.split()

    @property
    def text(self) -> str:
        """The element's own name and its descendants' text, as one line."""
        return " ".join(node.name for node in self.walk() if node.name)


def axtree_parse(text: str) -> Node:
    """The tree of the observation's `axtree` text (two spaces of indent per level)."""
    root = Node(role="document")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or not line.strip():
            continue
        depth = len(match["indent"]) // 2
        node = Node(role=match["role"], name=_unquote(match["name"]), bid=match["bid"],
                    value=_unquote(match["value"]), states=match["states"].strip())
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1].children.append(node)
        stack.append((depth, node))
    return root


def page(observation: dict) -> Node:
    """The page an observation shows; raises PageError when the action that led there failed."""
    if observation.get("last_action_error"):
        raise PageError(f"the last action failed: {observation['last_action_error']}")
    return axtree_parse(observation.get("axtree") or "")


def chart_date(text: str) -> datetime:
    """A date as the chart prints it: 04/02/2026 02:07 or 04/02/2026."""
    return datetime.strptime(text, "%m/%d/%Y %H:%M" if " " in text else "%m/%d/%Y")


def table_rows(tree: Node, table_bid: str) -> list[Node]:
    """The data rows of a table (the header row, made of column headers, left out)."""
    table = tree.find(bid=table_bid)
    return [row for row in table.find_all(role="row") if not any(c.role == "columnheader" for c in row.children)]


# --- Steps the oracles share --------------------------------------------------------------
# Generators used with `yield from` inside an oracle; each returns the page its last step led to.


def act(action: dict):
    """One browser action; the page it led to (a failed action stops the oracle: it would act blind)."""
    return page((yield action))


def click(bid: str):
    return (yield from act({"type": "click", "bid": bid}))


def fill(bid: str, value: str):
    return (yield from act({"type": "fill", "bid": bid, "value": value}))


def open_section(mrn: str, section: str):
    """Open a section of the patient's chart by its address, as typed in the address bar."""
    return (yield from act({"type": "goto", "url": reverse(chart_section(section).url_name, kwargs={"mrn": mrn})}))


def search_orderable(query: str, code: str):
    """Search the orders catalog (the orders page is open) and open the composer on the result with this code."""
    yield from fill("orders-search-input", query)
    results = yield from act({"type": "press", "bid": "orders-search-input", "key_comb": "Enter"})
    for row in table_rows(results, "orders-search-results"):
        if row.cells()[-1] == code:
            return (yield from click(row.find(role="link").bid))
    raise PageError(f"the search {query!r} found no orderable with code {code}")


def compose(composer: Node, fields: dict[str, str | bool]):
    """Set the composer's fields that do not already show the wanted value, then pend the order.

    `fields`: composer field name (dose, route, frequency, priority, prn, consult_question...) to
    the text it should show (for a drop-down, its option's text) or, for a check box, True/False.
    """
    for name, wanted in fields.items():
        control = composer.find(bid=f"composer-{name.replace('_', '-')}")
        if isinstance(wanted, bool):
            if control.checked != wanted:
                yield from click(control.bid)
        elif control.value != wanted:
            if control.role == "combobox":
                yield from act({"type": "select_option", "bid": control.bid, "options": wanted})
            else:
                yield from fill(control.bid, wanted)
    pended = yield from click("composer-submit")
    if pended.has(bid="composer-errors"):
        raise PageError(f"the order was not pended: {pended.find(bid='composer').text}")
    return pended


def place_order(query: str, code: str, fields: dict[str, str | bool]):
    """Search, compose and pend one order (the orders page is open)."""
    composer = yield from search_orderable(query, code)
    return (yield from compose(composer, fields))


def answer_alerts(review: Node, override_reason: str):
    """Answer every open decision-support alert: acknowledge warnings, override high ones with a reason."""
    for card in review.find_all(role="group", bid_prefix="alert-"):
        number = (card.bid or "").removeprefix("alert-")
        if not number.isdigit() or not card.has(bid=f"alert-override-{number}"):
            continue  # a part of a card (alert-severity-...), or an alert already answered
        if card.find(bid=f"alert-severity-{number}").text == "High":
            yield from fill(f"alert-override-reason-{number}", override_reason)
            yield from click(f"alert-override-{number}")
        else:
            yield from click(f"alert-acknowledge-{number}")


def sign_orders(override_reason: str):
    """Sign the pended orders; when decision support stops the signing, answer its alerts and sign again."""
    signed = yield from click("sign-orders")
    if signed.has(bid="cds-dialog"):
        yield from answer_alerts(signed, override_reason)
        signed = yield from click("sign-orders")
    # The confirmation is a status message; its testid is a bid only while it is the page's one message.
    if not any(node.role == "status" and node.name.startswith("Signed") for node in signed.walk()):
        raise PageError("the orders were not signed")
    return signed


def write_note(note_type: str, title: str, text: str):
    """From the notes list: start a note of this type, write it and sign it."""
    new = yield from click("note-new")
    if new.find(bid="note-type-select").value != note_type:
        yield from act({"type": "select_option", "bid": "note-type-select", "options": note_type})
    yield from fill("note-title", title)
    yield from click("note-create")
    yield from fill("note-text", text)
    signed = yield from click("note-sign")
    if signed.find(bid="note-status").text.split()[0] != "Signed":
        raise PageError("the note was not signed")
    return signed


def latest_result(tree: Node, loincs: list[str]) -> tuple[str, str, datetime]:
    """(value, unit, date) of the newest result over a test's codes, read from Results Review: each panel's
    flowsheet row gives the test's latest value (its flag after it) and date before the dated columns."""
    newest = None
    for loinc in loincs:
        for row in tree.find_all(role="row", bid=f"results-row-{loinc}"):
            _, latest, date, unit, *_ = row.cells()
            if newest is None or chart_date(date) > newest[2]:
                newest = (latest.split()[0], unit, chart_date(date))
    if newest is None:
        raise PageError(f"no result for {', '.join(loincs)} on the results page")
    return newest


def latest_answer(tree: Node, loincs: list[str]) -> tuple[str, datetime]:
    """(answer, date) of the newest answer over a question's or score's codes, read from Questionnaires."""
    newest = None
    for loinc in loincs:
        for row in tree.find_all(role="row", bid=f"questionnaire-row-{loinc}"):
            _, answer, date, *_ = row.cells()
            if newest is None or chart_date(date) > newest[1]:
                newest = (answer, chart_date(date))
    if newest is None:
        raise PageError(f"no answer for {', '.join(loincs)} on the questionnaires page")
    return newest


def storyboard_vital(tree: Node, label: str) -> float:
    """The latest reading of a vital sign (e.g. "Weight") as the storyboard, on every chart page, shows it."""
    term = None
    for node in tree.find(bid="storyboard-vitals").walk():
        if node.role == "term":
            term = node.name
        elif node.role == "definition" and term == label:
            number = re.search(r"\d+(?:\.\d+)?", node.text)
            if number:
                return float(number.group(0))
    raise PageError(f"no {label} among the storyboard's latest vitals")


def active_allergy_list(tree: Node) -> list[str]:
    """The substances of the active allergies on the chart's allergy page (inactive and resolved left out)."""
    if tree.has(bid="allergies-empty"):
        return []
    header = tree.find(bid="allergies-table").find(role="row").cells()
    substance, status = header.index("Substance"), header.index("Status")
    return sorted({cells[substance] for row in table_rows(tree, "allergies-table")
                   if (cells := row.cells())[status] == "Active"}, key=str.lower)


def pended_row(tree: Node, words: str) -> Node | None:
    """The pended order whose name holds these words (lower case), if any."""
    return next((row for row in tree.find(bid="pended-orders").find_all(role="row", bid_prefix="pended-order-")
                 if words in row.cells()[0].lower()), None)


def edit_pended(tree: Node, words: str, fields: dict[str, str | bool]):
    """Open the pended order whose name holds `words` in the composer, change `fields` and save it."""
    row = pended_row(tree, words)
    if row is None:
        raise PageError(f"no pended order of {words}")
    composer = yield from click(row.find(role="link", bid_prefix="pended-order-edit-").bid)
    return (yield from compose(composer, fields))
