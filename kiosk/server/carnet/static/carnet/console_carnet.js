// The carnet panel of the counter console (carnet/_console_panel.html): the console's own
// script redraws the current ticket from its polls; when the ticket at the counter changes,
// this reloads the panel (documents, carnet history, fiche form) from the server.
(function () {
  "use strict";
  var num = document.getElementById("current-number");
  var panel = document.getElementById("carnet-panel");
  if (!num || !panel) return;
  var shown = num.textContent;
  var loading = false;

  function reload() {
    if (loading) return;
    loading = true;
    fetch(panel.dataset.panelUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html;
        var fresh = box.querySelector("#carnet-panel");
        // The same ticket (just finished): keep the panel, and what the agent is typing.
        if (fresh && fresh.dataset.ticket !== panel.dataset.ticket) {
          panel.replaceWith(fresh);
          panel = fresh;
        }
      })
      .catch(function () { /* the next change of ticket tries again */ })
      .then(function () {
        loading = false;
        if (num.textContent !== shown) { shown = num.textContent; reload(); }
      });
  }

  new MutationObserver(function () {
    if (num.textContent !== shown) { shown = num.textContent; reload(); }
  }).observe(num, { childList: true, characterData: true, subtree: true });
})();
