// The accessibility tree of the page, computed in ONE call (WebDriver execute_script).
//
// Walks the DOM once, skipping what a screen reader would not announce (hidden,
// aria-hidden, display:none), and prints one line per meaningful node:
//     [bid] role "name" value=... states
// Every interactive element (and every element with a data-testid) gets a `data-bid`
// attribute: its data-testid when that is unique on the page, so ids stay the same across
// steps and page loads; otherwise a number from a per-document counter, kept on the element,
// so an element keeps its id for as long as the page is not reloaded.
//
// arguments[0]: {maxName: int, maxLines: int}
// returns {tree, focused, title, url, nodes, truncated}
const opts = arguments[0] || {};
const MAX_NAME = opts.maxName || 100;
const MAX_LINES = opts.maxLines || 4000;

const SKIP_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "META", "LINK", "HEAD", "TITLE", "BASE"]);
const INTERACTIVE_ROLES = new Set([
  "button", "link", "checkbox", "radio", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "option",
  "switch", "textbox", "searchbox", "combobox", "listbox", "slider", "spinbutton", "treeitem", "gridcell",
]);
// Roles named by their own text: their text children are not printed again.
const NAMED_BY_CONTENT = new Set([
  "link", "button", "heading", "cell", "columnheader", "rowheader", "option", "tab", "menuitem", "listitem",
  "paragraph", "caption", "term", "definition", "label", "status", "summary", "legend", "code", "strong", "emphasis",
]);
const INPUT_ROLES = {
  button: "button", submit: "button", reset: "button", image: "button", checkbox: "checkbox", radio: "radio",
  range: "slider", number: "spinbutton", search: "searchbox", email: "textbox", tel: "textbox", url: "textbox",
  text: "textbox", password: "textbox", date: "textbox", "datetime-local": "textbox", time: "textbox",
  month: "textbox", week: "textbox", color: "button", file: "button",
};
const TAG_ROLES = {
  BUTTON: "button", TEXTAREA: "textbox", H1: "heading", H2: "heading", H3: "heading", H4: "heading",
  H5: "heading", H6: "heading", NAV: "navigation", MAIN: "main", ASIDE: "complementary", TABLE: "table",
  TR: "row", TD: "cell", UL: "list", OL: "list", LI: "listitem", DL: "list", DT: "term", DD: "definition",
  IMG: "img", DIALOG: "dialog", OPTION: "option", FIELDSET: "group", P: "paragraph", CAPTION: "caption",
  SUMMARY: "summary", DETAILS: "group", PROGRESS: "progressbar", METER: "meter", OUTPUT: "status",
  LABEL: "label", LEGEND: "legend", CODE: "code", STRONG: "strong", EM: "emphasis", HR: "separator",
};

const clean = (text) => (text || "").replace(/\s+/g, " ").trim();
const clip = (text) => (text.length > MAX_NAME ? text.slice(0, MAX_NAME - 1) + "…" : text);
const quote = (text) => '"' + clip(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';

function roleOf(el) {
  const explicit = el.getAttribute("role");
  if (explicit) return explicit.split(/\s+/)[0];
  const tag = el.tagName;
  if (tag === "A") return el.hasAttribute("href") ? "link" : null;
  if (tag === "INPUT") return INPUT_ROLES[(el.type || "text").toLowerCase()] || "textbox";
  if (tag === "SELECT") return el.multiple || el.size > 1 ? "listbox" : "combobox";
  if (tag === "TH") return el.getAttribute("scope") === "row" ? "rowheader" : "columnheader";
  if (tag === "HEADER") return el.closest("main, article, section, aside, nav") ? null : "banner";
  if (tag === "FOOTER") return el.closest("main, article, section, aside, nav") ? null : "contentinfo";
  if (tag === "FORM") return el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby") ? "form" : null;
  if (tag === "SECTION") return el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby") ? "region" : null;
  if (tag === "svg" || tag === "SVG") return el.hasAttribute("aria-label") || el.getAttribute("role") ? "img" : null;
  if (el.isContentEditable && el.getAttribute("contenteditable") !== null) return "textbox";
  return TAG_ROLES[tag] || null;
}

function isInteractive(el, role) {
  if (role && INTERACTIVE_ROLES.has(role)) return true;
  const tag = el.tagName;
  if (tag === "BUTTON" || tag === "SELECT" || tag === "TEXTAREA" || tag === "SUMMARY") return true;
  if (tag === "INPUT") return el.type !== "hidden";
  if (tag === "A" && el.hasAttribute("href")) return true;
  const tabindex = el.getAttribute("tabindex");
  return tabindex !== null && Number(tabindex) >= 0;
}

// Text of an element as a screen reader announces it: without aria-hidden or hidden parts.
const UNSPOKEN = '[aria-hidden="true"], [hidden], script, style, template, noscript';
function spokenText(node) {
  let text = "";
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === Node.TEXT_NODE) {
      text += child.data;
    } else if (child.nodeType === Node.ELEMENT_NODE && !child.matches(UNSPOKEN)) {
      text += child.tagName === "IMG" ? " " + (child.getAttribute("alt") || "") + " " : " " + spokenText(child) + " ";
    }
  }
  return text;
}

function textOf(node) {
  return clean(node.querySelector(UNSPOKEN) ? spokenText(node) : node.textContent);
}

function labelText(el) {
  if (el.labels && el.labels.length) {
    return clean(Array.from(el.labels, (label) => label.textContent).join(" "));
  }
  return "";
}

function nameOf(el, role) {
  const labelledby = el.getAttribute("aria-labelledby");
  if (labelledby) {
    const text = clean(labelledby.split(/\s+/).map((id) => {
      const ref = document.getElementById(id);
      return ref ? ref.textContent : "";
    }).join(" "));
    if (text) return text;
  }
  const aria = clean(el.getAttribute("aria-label"));
  if (aria) return aria;
  const tag = el.tagName;
  if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") {
    const label = labelText(el);
    if (label) return label;
    if (tag === "INPUT" && ["button", "submit", "reset"].includes(el.type)) return clean(el.value) || el.type;
    if (tag === "INPUT" && el.type === "image") return clean(el.alt);
    return clean(el.getAttribute("title"));
  }
  if (tag === "IMG") return clean(el.getAttribute("alt")) || clean(el.getAttribute("title"));
  if (tag === "TABLE") {
    const caption = el.querySelector(":scope > caption");
    return caption ? textOf(caption) : clean(el.getAttribute("title"));
  }
  if (tag === "FIELDSET") {
    const legend = el.querySelector(":scope > legend");
    return legend ? textOf(legend) : "";
  }
  if (NAMED_BY_CONTENT.has(role) || isInteractive(el, role)) {
    return textOf(el) || clean(el.getAttribute("title"));
  }
  return clean(el.getAttribute("title"));
}

function valueOf(el, role) {
  const tag = el.tagName;
  if (tag === "SELECT") {
    return Array.from(el.selectedOptions, (option) => clean(option.textContent)).join(", ");
  }
  if (tag === "TEXTAREA") return el.value;
  if (tag === "INPUT") {
    if (["checkbox", "radio", "button", "submit", "reset", "image", "file"].includes(el.type)) return null;
    return el.type === "password" ? "•".repeat(el.value.length) : el.value;
  }
  if (role === "textbox" && el.isContentEditable) return el.innerText;
  return null;
}

function statesOf(el, role) {
  const states = [];
  if (el === document.activeElement && el !== document.body) states.push("focused");
  if (role === "heading") states.push("level=" + (el.getAttribute("aria-level") || el.tagName.slice(1)));
  if (el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio")) {
    states.push(el.checked ? "checked" : "unchecked");
  } else if (el.hasAttribute("aria-checked")) {
    states.push("checked=" + el.getAttribute("aria-checked"));
  }
  if (el.disabled || el.getAttribute("aria-disabled") === "true") states.push("disabled");
  if (el.required || el.getAttribute("aria-required") === "true") states.push("required");
  if (el.readOnly && (el.tagName === "INPUT" || el.tagName === "TEXTAREA")) states.push("readonly");
  const expanded = el.getAttribute("aria-expanded");
  if (expanded !== null) states.push(expanded === "true" ? "expanded" : "collapsed");
  if (el.tagName === "DETAILS") states.push(el.open ? "expanded" : "collapsed");
  if (el.getAttribute("aria-selected") === "true" || (el.tagName === "OPTION" && el.selected)) states.push("selected");
  const current = el.getAttribute("aria-current");
  if (current && current !== "false") states.push("current=" + current);
  if (el.getAttribute("aria-invalid") === "true") states.push("invalid");
  const placeholder = el.getAttribute("placeholder");
  if (placeholder && !el.value) states.push("placeholder=" + quote(clean(placeholder)));
  return states;
}

function hidden(el) {
  if (el.hidden || el.getAttribute("aria-hidden") === "true") return true;
  if (el.tagName === "INPUT" && el.type === "hidden") return true;
  return !el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true});
}

// Bids: the data-testid when unique, else the element's earlier number, else the next one.
const used = new Set();
const testidCount = new Map();
for (const el of document.querySelectorAll("[data-testid]")) {
  const id = el.getAttribute("data-testid");
  testidCount.set(id, (testidCount.get(id) || 0) + 1);
}
// Attributes are written after the walk: writing them during it would invalidate style
// that the next element's visibility check then recomputes, once per element.
const pendingBids = [];
const pendingUnbids = [];
let counter = Number(document.documentElement.getAttribute("data-bid-next") || "0");
function bidFor(el) {
  const testid = el.getAttribute("data-testid");
  let bid = testid && testidCount.get(testid) === 1 && /^[A-Za-z0-9_.:-]+$/.test(testid) ? testid : null;
  if (bid === null) {
    const previous = el.getAttribute("data-bid");
    if (previous && /^\d+$/.test(previous) && !used.has(previous)) bid = previous;
  }
  while (bid === null || used.has(bid)) {
    bid = String(counter++);
  }
  used.add(bid);
  if (el.getAttribute("data-bid") !== bid) pendingBids.push([el, bid]);
  return bid;
}

const lines = [];
let truncated = false;
let focused = null;

function emit(depth, text) {
  if (lines.length >= MAX_LINES) {
    truncated = true;
    return;
  }
  lines.push("  ".repeat(depth) + text);
}

function walk(node, depth, parentNamedByContent) {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (truncated) return;
    if (child.nodeType === Node.TEXT_NODE) {
      if (!parentNamedByContent) {
        const text = clean(child.data);
        if (text) emit(depth, "StaticText " + quote(text));
      }
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE || SKIP_TAGS.has(child.tagName)) continue;
    if (child.hasAttribute("data-ehrgym-overlay") || hidden(child)) continue;
    if (child.tagName === "LABEL" && child.control) {
      // The control it labels carries the text as its name: only what it wraps is shown.
      walk(child, depth, true);
      continue;
    }
    const role = roleOf(child);
    const interactive = isInteractive(child, role);
    const hasTestid = child.hasAttribute("data-testid");
    if (!role && !interactive && !hasTestid) {
      walk(child, depth, parentNamedByContent);
      continue;
    }
    let line = "";
    if (interactive || hasTestid) {
      const bid = bidFor(child);
      line = "[" + bid + "] ";
      if (child === document.activeElement) focused = bid;
    } else if (child.hasAttribute("data-bid")) {
      pendingUnbids.push(child);
    }
    const shownRole = role || (interactive ? "generic" : "group");
    line += shownRole;
    const name = nameOf(child, role);
    if (name) line += " " + quote(name);
    const value = valueOf(child, role);
    if (value !== null && value !== "") line += " value=" + quote(clean(value));
    const states = statesOf(child, role);
    if (states.length) line += " " + states.join(" ");
    emit(depth, line);
    if (child.tagName === "SELECT") {
      const options = Array.from(child.options).slice(0, 100);
      for (const option of options) {
        emit(depth + 1, "option " + quote(clean(option.textContent)) + (option.selected ? " selected" : ""));
      }
      continue;
    }
    if (child.tagName === "TEXTAREA" || child.tagName === "svg") continue;
    walk(child, depth + 1, NAMED_BY_CONTENT.has(role) || (interactive && !!name));
  }
}

emit(0, "RootWebArea " + quote(clean(document.title)));
if (document.body) walk(document.body, 1, false);
for (const [el, bid] of pendingBids) el.setAttribute("data-bid", bid);
for (const el of pendingUnbids) el.removeAttribute("data-bid");
document.documentElement.setAttribute("data-bid-next", String(counter));
return {
  tree: lines.join("\n"),
  focused: focused,
  title: document.title,
  url: location.href,
  nodes: lines.length,
  truncated: truncated,
};
