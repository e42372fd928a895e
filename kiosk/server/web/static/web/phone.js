/* Phone page of a ticket: polls its state every 5 s, shows the call (with a vibration),
   "I'm leaving" and "I need more time" without leaving the page. */
(function () {
  "use strict";
  var root = document.getElementById("phone");
  if (!root || !window.fetch) return;

  var POLL_MS = 5000;
  var url = root.dataset.stateUrl;
  var state = JSON.parse(document.getElementById("phone-state").textContent);
  var texts = JSON.parse(document.getElementById("phone-texts").textContent);
  var failures = 0, timer = null, stopped = false;

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

  function schedule() {
    if (stopped) return;
    var delay = failures ? Math.min(POLL_MS * Math.pow(2, failures - 1), 30000) : POLL_MS;
    timer = setTimeout(poll, delay);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (s) { failures = 0; show("offline", false); apply(s); })
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
