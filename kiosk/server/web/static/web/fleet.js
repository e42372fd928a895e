// The fleet page reloads itself every N seconds, unless the agent turns it off (WCAG 2.2.1:
// a page that changes on a timer lets its reader stop it). The choice is kept on this computer.
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  if (!box) return;
  var seconds = parseInt(box.dataset.seconds || "30", 10);
  var timer = null;
  function arm() {
    clearTimeout(timer);
    if (box.checked) timer = setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
  try { box.checked = window.localStorage.getItem("fleet-auto-refresh") !== "off"; } catch (e) { /* private mode */ }
  box.addEventListener("change", function () {
    try { window.localStorage.setItem("fleet-auto-refresh", box.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    arm();
  });
  window.fleetRefresh = { armed: function () { return timer !== null && box.checked; } };
  arm();
})();
