/* Phone page of a ticket: polls its state (every 5 s near the turn, less often far from it),
   shows the call (with a vibration), "I'm leaving" and "I need more time" without leaving
   the page. */
(function () {
  "use strict";
  var root = document.getElementById("phone");
  if (!root || !window.fetch) return;

  var POLL_MS = 5000;
  var url = root.dataset.stateUrl;
  var state = JSON.parse(document.getElementById("phone-state").textContent);
  var texts = JSON.parse(document.getElementById("phone-texts").textContent);
  var failures = 0, timer = null, stopped = false;
  var etag = null; // the server answers 304 (no body) while the queue has not changed

  function $(id) { return document.getElementById(id); }
  function show(id, on) { var el = $(id); if (el) el.hidden = !on; }

  function flash(message, level) {
    var el = $("flash");
    el.textContent = message;
    el.className = "flash " + (level || "info");
    el.hidden = false;
  }

  function setStatus(s) {
    $("status-text").textContent = s.status_text;
    if ($("status-fr")) $("status-fr").textContent = s.status_fr;
    $("status").className = "status status-" + s.status;
    document.body.className = document.body.className.replace(/\bis-\S+/g, "").trim() + " is-" + s.status;
  }

  function called(s) {
    setStatus(s);
    $("counter").textContent = s.counter;
    show("called", true);
    show("facts", false);
    show("sms", false);
    show("more-form", false);
    show("leave-form", false);
    $("called").classList.remove("ring");
    void $("called").offsetWidth; // restart the animation on a recall
    $("called").classList.add("ring");
    if (navigator.vibrate) { try { navigator.vibrate([400, 150, 400, 150, 800]); } catch (e) { /* not allowed */ } }
  }

  function closed(s) {
    setStatus(s);
    ["called", "facts", "sms", "more-form", "leave-form"].forEach(function (id) { show(id, false); });
    stop();
  }

  function apply(s) {
    var before = state;
    state = s;
    if (s.status !== before.status) {
      if (s.status === "called" && before.status === "waiting") called(s);
      else if (!s.open) { closed(s); return; }
      else { location.reload(); return; } // transferred, set aside...: the page as the server draws it
    } else if (s.status === "called" && s.call_key !== before.call_key) {
      called(s); // a recall
    }
    if (s.status === "waiting") {
      if ($("position")) {
        $("position").textContent = s.position;
        $("ahead").textContent = s.ahead;
        $("estimate").textContent = s.estimate_text;
      } else { location.reload(); return; }
      show("sms", s.sms);
    }
    show("more-form", s.can_postpone);
    show("leave-form", s.can_leave);
  }

  function stop() { stopped = true; clearTimeout(timer); }

  // Far from the turn the page asks less often: 10 s beyond 15 min and 5 tickets ahead, 15 s
  // beyond 30 min. Near it (the "near" SMS rule: 15 min or 3 ahead), every 5 s. A call out of
  // turn reaches a far ticket's page within 15 s (the board and the SMS say it at once).
  function pollDelay() {
    var s = state;
    if (s.status !== "waiting" || s.estimate === null || s.ahead === null) return POLL_MS;
    if (s.estimate <= 15 || s.ahead <= 5) return POLL_MS;
    return s.estimate > 30 ? 3 * POLL_MS : 2 * POLL_MS;
  }

  function schedule() {
    if (stopped) return;
    var delay = failures ? Math.min(POLL_MS * Math.pow(2, failures - 1), 30000) : pollDelay();
    timer = setTimeout(poll, delay);
  }

  function poll() {
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, cache: "no-store" })
      .then(function (r) {
        if (r.status === 304) return null; // unchanged: nothing to redraw
        if (!r.ok) throw new Error("HTTP " + r.status);
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (s) { failures = 0; show("offline", false); if (s) apply(s); })
      .catch(function () { failures += 1; if (failures >= 2) show("offline", true); })
      .then(schedule);
  }

  function send(form) {
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form),
      headers: { Accept: "application/json",
                 "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
    })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        flash(body.message, body.ok ? "success" : "error");
        apply(body.state);
      })
      .catch(function () { flash(texts.error, "error"); })
      .then(function () { button.disabled = false; });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id !== "leave-form" && form.id !== "more-form") return;
    e.preventDefault();
    if (form.id === "leave-form" && !window.confirm(texts.leave_confirm)) return;
    send(form);
  });

  if (root.dataset.open === "1") schedule();
})();
