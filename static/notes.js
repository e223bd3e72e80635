/* Notes activity: autosave of drafts, smart-phrase picker, template/type pairing.
 * Plain JavaScript, no build step. Every control also works without it: the picker
 * buttons and Save/Sign are ordinary form submits handled by the server. */
(function () {
  "use strict";

  function pairTemplateWithType() {
    var type = document.querySelector('[data-testid="note-type-select"]');
    var template = document.querySelector('[data-testid="note-template-select"]');
    if (!type || !template) return;
    function typeLabel() { return type.options[type.selectedIndex].text; }
    // Offer only the chosen type's templates (and "Blank note").
    function filterTemplates() {
      Array.prototype.forEach.call(template.querySelectorAll("optgroup"), function (group) {
        var matches = group.label === typeLabel();
        group.hidden = !matches;
        group.disabled = !matches;
      });
      var chosen = template.options[template.selectedIndex];
      if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) template.value = "";
    }
    type.addEventListener("change", filterTemplates);
    filterTemplates();
  }

  function editor() {
    var form = document.getElementById("note-editor-form");
    if (!form) return;
    var text = form.querySelector('[data-testid="note-text"]');
    var title = form.querySelector('[data-testid="note-title"]');
    var status = form.querySelector('[data-testid="note-autosave-status"]');
    var expand = form.querySelector('[data-testid="note-expand"]');
    var seconds = parseInt(form.dataset.autosaveSeconds, 10) || 5;
    var saved = { title: title.value, text: text.value };
    var inflight = null;
    var submitting = false;
    var stopped = false;

    function changed() { return title.value !== saved.title || text.value !== saved.text; }
    function body() {
      var data = new FormData(form);
      data.set("autosave", "1");
      return data;
    }
    function show(message, isError) {
      status.textContent = message;
      status.classList.toggle("is-error", !!isError);
    }

    function autosave() {
      if (stopped || submitting || inflight || !changed()) return;
      var sent = { title: title.value, text: text.value };
      show("Saving…");
      inflight = fetch(form.action, { method: "POST", body: body(), credentials: "same-origin",
                                      headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          return response.json().then(function (json) {
            if (response.ok) { saved = sent; show(json.message); return; }
            show(json.error || "Not saved.", true);
            // A signed note or another author's draft will not accept later saves either.
            if (response.status === 403 || response.status === 409) stopped = true;
          });
        })
        .catch(function () { show("Autosave failed (offline?) — your text is still here; press Save draft.", true); })
        .then(function () { inflight = null; });
    }
    var timer = setInterval(autosave, seconds * 1000);

    // An explicit Save/Expand/Sign must not race a background save of older text.
    form.addEventListener("submit", function (event) {
      if (inflight) {
        event.preventDefault();
        var submitter = event.submitter;
        inflight.then(function () { form.requestSubmit(submitter); });
        return;
      }
      submitting = true;
      clearInterval(timer);
    });

    // Leaving the page: hand the last keystrokes to the browser to deliver.
    function flush() {
      if (!submitting && !stopped && changed() && navigator.sendBeacon) {
        navigator.sendBeacon(form.action, body());
        saved = { title: title.value, text: text.value };
      }
    }
    function hidden() { if (document.visibilityState === "hidden") flush(); }
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", hidden);
    // Leaving for another page without unloading this document (static/navigation.js):
    // save as on pagehide, then let go of the window and document.
    document.body.addEventListener("ehr:leave", function () {
      flush();
      stopped = true;
      clearInterval(timer);
      window.removeEventListener("pagehide", flush);
      document.removeEventListener("visibilitychange", hidden);
    });

    // Picker: fetch the phrase's text from the chart and put it at the cursor (or at
    // the end if the text was not clicked into yet); autosave then stores it.
    var touched = false;
    text.addEventListener("focus", function () { touched = true; });
    function insertAtCursor(value) {
      var start = touched ? text.selectionStart : text.value.length;
      var end = touched ? text.selectionEnd : text.value.length;
      var before = text.value.slice(0, start), after = text.value.slice(end);
      var lead = before && !/\s$/.test(before) ? " " : "";
      var trail = after && !/^\s/.test(after) ? " " : "";
      text.value = before + lead + value + trail + after;
      var caret = (before + lead + value).length;
      text.focus();
      text.setSelectionRange(caret, caret);
    }
    Array.prototype.forEach.call(form.querySelectorAll("button.smartphrase"), function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        fetch(button.dataset.expandUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
          .then(function (response) { return response.json(); })
          .then(function (json) {
            if (json.error) { show(json.error, true); return; }
            insertAtCursor(json.text);
            show("Inserted " + json.phrase + " — saving…");
            autosave();
          })
          .catch(function () { form.requestSubmit(button); });  // let the server insert it instead
      });
    });
  }

  function start() {
    pairTemplateWithType();
    editor();
  }
  // A page swapped in by static/navigation.js runs this after the document has loaded.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
