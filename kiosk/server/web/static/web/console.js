/* Counter console: live state (poll etat.json every second), actions through fetch,
   keyboard shortcuts. Without this script the page still works as plain forms. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root || !window.fetch) return;

  var POLL_MS = 1000;
  var stateUrl = root.dataset.stateUrl;
  var actionUrl = root.dataset.actionUrl; // .../ACTION/
  var csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var state = JSON.parse(document.getElementById("console-state").textContent);
  var receivedAt = performance.now();
  var seq = 0, applied = 0, failures = 0, busy = false;
  var etag = null; // the last state's validator: the server answers 304 while nothing changed
  var rendered = {};
  var announced = {}; // assistance requests already announced to screen readers
  (state.assistance || []).forEach(function (a) { announced[a.id] = true; });

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function duration(s) {
    s = Math.max(0, Math.floor(s));
    var m = Math.floor(s / 60), r = s % 60;
    return m ? m + " min " + (r < 10 ? "0" : "") + r + " s" : r + " s";
  }
  function prio(t) {
    return t.priority ? ' <span class="prio prio-' + esc(t.priority) + '">' + esc(t.priority_label) + "</span>" : "";
  }
  // The visitor's language: a code badge and its own name (lang/dir for screen readers).
  function lang(t) {
    return ' <span class="lang-badge lang-' + esc(t.language) + '" data-testid="lang-' + esc(t.number) +
      '" title="Langue du visiteur"><b class="code">' + esc(String(t.language).toUpperCase()) +
      '</b> <span lang="' + esc(t.language) + '" dir="' + esc(t.language_dir) + '">' +
      esc(t.language_name) + "</span></span>";
  }
  // The visitor needs help reading: read-aloud used at the kiosk, or ticked on the agent's issue form (web/_help_reading_badge.html, the same words).
  function helpReading(t) {
    return t.help_reading ? ' <span class="help-badge" data-testid="help-reading-' + esc(t.number) +
      '" title="Le visiteur a besoin d’aide pour lire (lecture à voix haute à la borne, ou signalé à l’accueil) : lui parler plutôt que lui donner un texte">' +
      '<svg aria-hidden="true" focusable="false" viewBox="0 0 96 96" width="16" height="16">' +
      '<path d="M12 36h14l22-18v60L26 60H12Z" fill="currentColor"/>' +
      '<path d="M62 36a16 16 0 0 1 0 24M72 24a32 32 0 0 1 0 48" fill="none" stroke="currentColor" stroke-width="9" stroke-linecap="round"/>' +
      "</svg> Aide à la lecture</span>" : "";
  }
  function csrfInput() {
    return '<input type="hidden" name="csrfmiddlewaretoken" value="' + esc(csrf) + '">';
  }
  function rowForm(action, t, body, title) {
    return '<li><form method="post" action="' + esc(actionUrl.replace("ACTION", action)) +
      '" data-action="' + action + '">' + csrfInput() +
      '<input type="hidden" name="ticket" value="' + t.id + '">' +
      '<button type="submit" class="row" data-testid="' + (action === "call" ? "waiting-" : "parked-") +
      esc(t.number) + '" title="' + esc(title) + '">' + body + "</button></form></li>";
  }

  // -- rendering (only the parts whose data changed: focus and hover survive the polls) --
  function changed(part, value) {
    var key = JSON.stringify(value);
    if (rendered[part] === key) return false;
    rendered[part] = key;
    return true;
  }

  function render(s) {
    var cur = s.current;
    var curKey = cur ? [cur.id, cur.called_at, cur.recalls, cur.service, cur.priority, cur.language, cur.help_reading] : null;
    if (changed("current", curKey)) {
      var num = $("current-number");
      num.textContent = cur ? cur.number : "—";
      num.className = cur ? "number" : "none";
      $("current-meta").innerHTML = cur
        ? '<span class="svc">' + esc(cur.service) + "</span>" + lang(cur) + helpReading(cur) + prio(cur) +
          (cur.transferred_from ? ' <span class="tag">transféré de ' + esc(cur.transferred_from) + "</span>" : "") +
          '<br>appelé il y a <span id="since" data-testid="since"></span> · <span data-testid="recalls">' +
          cur.recalls + "</span> rappel" + (cur.recalls > 1 ? "s" : "")
        : "Aucun visiteur au guichet.";
      var select = $("transfer-service");
      var keep = select.value;
      select.innerHTML = '<option value="">Transférer vers…</option>' + s.transfer_targets
        .filter(function (t) { return !cur || t.slug !== cur.service_slug; })
        .map(function (t) { return '<option value="' + esc(t.slug) + '">' + esc(t.prefix + " — " + t.name) + "</option>"; })
        .join("");
      select.value = keep;
      if (select.value !== keep) select.value = "";
    }
    root.querySelectorAll("[data-needs-current]").forEach(function (el) {
      if (el.dataset.testid !== "absent") el.disabled = !cur || busy;
    });
    if (changed("waiting", s.waiting)) {
      $("waiting-list").innerHTML = s.waiting.length ? s.waiting.map(function (t) {
        return rowForm("call", t,
          '<span class="pos">' + t.position + '</span><span class="num">' + esc(t.number) +
          '</span><span class="svc">' + esc(t.service) + lang(t) + helpReading(t) + prio(t) +
          (t.transferred ? ' <span class="tag">transféré</span>' : "") +
          (t.slot ? ' <span class="tag" data-testid="slot">rendez-vous ' + esc(t.slot) + "</span>" : "") +
          '</span><span class="est">' +
          (t.estimate == null ? "—" : "≈ " + t.estimate + " min") + "</span>",
          "Appeler " + t.number + " hors tour");
      }).join("") : '<li class="empty">Personne n\'attend.</li>';
    }
    $("total-waiting").textContent = s.total_waiting;
    if (changed("services", s.services)) {
      $("service-chips").innerHTML = s.services.map(function (v) {
        return "<li><b>" + esc(v.prefix) + "</b> " + esc(v.name) + ' <span class="count">' + v.waiting + "</span></li>";
      }).join("");
    }
    if (changed("parked", s.parked)) {
      $("parked-list").innerHTML = s.parked.length ? s.parked.map(function (t) {
        return rowForm("resume", t,
          '<span class="pos">↺</span><span class="num">' + esc(t.number) + '</span><span class="svc">' +
          esc(t.service) + lang(t) + '</span><span class="est">Reprendre</span>', "Reprendre " + t.number);
      }).join("") : '<li class="empty">Aucun ticket mis de côté.</li>';
      $("total-parked").textContent = s.parked.length;
    }
    renderDesk(s.counter);
    var help = s.assistance || [];
    if (changed("assistance", help.map(function (a) { return [a.id, a.kiosk, a.language, a.note]; }))) {
      var fresh = help.filter(function (a) { return !announced[a.id]; });
      announced = {};
      help.forEach(function (a) { announced[a.id] = true; });
      $("assistance-list").innerHTML = help.map(function (a) {
        return '<li><form method="post" action="' + esc(actionUrl.replace("ACTION", "assist")) +
          '" data-action="assist">' + csrfInput() + '<input type="hidden" name="request" value="' + a.id + '">' +
          '<span class="who">Borne « ' + esc(a.kiosk) + " » · " + esc(a.language_label) +
          ' <span lang="' + esc(a.language) + '" dir="' + esc(a.language_dir) + '">(' + esc(a.language_name) + ")</span>" +
          (a.note ? " · " + esc(a.note) : "") + '</span> <span class="waited">depuis <span id="assist-wait-' +
          a.id + '"></span></span> <button type="submit" class="primary" data-testid="assist-' + a.id +
          '">J\'y vais</button></form></li>';
      }).join("");
      $("assistance").hidden = !help.length;
      if (fresh.length) {
        $("assistance-status").textContent = "Un visiteur demande un agent à la borne « " + fresh[0].kiosk + " ».";
      }
    }
    tick();
  }

  // The counter's own state: open, paused until HH:MM (over by itself at that time),
  // closed (for today); each form shows for the states it applies to.
  function deskOf(c) {
    if (c.desk === "paused" && c.paused_until_iso && new Date(c.paused_until_iso) <= new Date()) return "open";
    return c.desk;
  }
  function renderDesk(c) {
    if (!c || !$("desk")) return;
    var desk = deskOf(c);
    $("desk").dataset.desk = desk;
    $("desk-state").textContent = {
      open: "Guichet ouvert", closed: "Guichet fermé", closed_today: "Guichet fermé pour aujourd'hui",
      paused: "En pause jusqu'à " + c.paused_until,
    }[desk] || "";
    $("desk").querySelectorAll("form[data-desk-show]").forEach(function (f) {
      f.hidden = f.dataset.deskShow.split(" ").indexOf(desk) < 0;
    });
  }

  // The clocks between two polls: time since the call, the no-show countdown.
  function tick() {
    var cur = state.current;
    var spent = (performance.now() - receivedAt) / 1000;
    var since = $("since");
    if (cur && since) since.textContent = duration(cur.elapsed_s + spent);
    var absent = root.querySelector('[data-testid="absent"]');
    var left = cur ? Math.ceil(cur.no_show_in_s - spent) : 0;
    absent.disabled = !cur || left > 0 || busy;
    $("absent-countdown").textContent = cur && left > 0 ? "dans " + duration(left) : "";
    if (state.counter && $("desk") && $("desk").dataset.desk !== deskOf(state.counter)) renderDesk(state.counter);
    (state.assistance || []).forEach(function (a) {
      var el = $("assist-wait-" + a.id);
      if (el) el.textContent = duration(a.waiting_seconds + spent);
    });
  }

  function apply(s, mySeq) {
    if (mySeq < applied) return; // an older answer arriving late
    applied = mySeq;
    state = s;
    receivedAt = performance.now();
    render(s);
  }

  var flashTimer = null;
  function flash(level, message) {
    var el = $("flash");
    el.textContent = message;
    el.className = "flash " + level;
    el.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { el.hidden = true; }, level === "error" ? 10000 : 5000);
  }

  function offline(on) { $("offline").hidden = !on; }

  // -- polling ---------------------------------------------------------------------------
  function poll() {
    var mySeq = ++seq;
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(stateUrl, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        // Unchanged queue (conditional polling): keep the state and its clocks running.
        if (r.status === 304) return null;
        var type = r.headers.get("Content-Type") || "";
        // Logged out (session expired): the login page answers instead of JSON.
        if (r.redirected || type.indexOf("application/json") < 0) { location.reload(); throw new Error("login"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        var tag = r.headers.get("ETag");
        return r.json().then(function (s) { if (mySeq >= applied) etag = tag; return s; });
      })
      .then(function (s) { failures = 0; offline(false); if (s) apply(s, mySeq); })
      .catch(function () { failures += 1; if (failures >= 2) offline(true); })
      .then(function () {
        var delay = failures ? Math.min(POLL_MS * Math.pow(2, failures - 1), 5000) : POLL_MS;
        setTimeout(poll, delay);
      });
  }

  // -- actions ---------------------------------------------------------------------------
  function send(form) {
    if (busy) return;
    busy = true;
    var mySeq = ++seq;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
    })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") < 0) {
          var err = new Error(r.status === 403 ? "Action refusée (session expirée ou droits insuffisants) : rechargez la page."
                                               : "Erreur du serveur (" + r.status + ").");
          err.shown = true;
          throw err;
        }
        return r.json();
      })
      .then(function (body) {
        flash(body.ok ? body.level : "error", body.message);
        busy = false;
        if (body.state) apply(body.state, mySeq);
      })
      .catch(function (e) {
        flash("error", e.shown ? e.message : "Le serveur ne répond pas : l'action n'a peut-être pas été faite.");
      })
      .then(function () {
        busy = false;
        buttons.forEach(function (b) { b.disabled = false; });
        rendered = {}; // redraw everything from the state, disabled flags included
        render(state);
      });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target.closest("form[data-action]");
    if (!form || !root.contains(form)) return;
    e.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    if (form.dataset.action === "transfer" && !form.elements.service.value) {
      flash("error", "Choisissez d'abord le service de destination.");
      form.elements.service.focus();
      return;
    }
    send(form);
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var key = e.key.toLowerCase();
    if (key === "x") {
      e.preventDefault();
      var select = $("transfer-service");
      if (!select.disabled) select.focus();
      return;
    }
    var button = root.querySelector('button[data-key="' + key + '"]');
    if (!button) return;
    e.preventDefault();
    if (!button.disabled) button.form.requestSubmit(button);
  });

  // Transfer: choosing the service is enough with the keyboard (X, arrows, Enter).
  $("transfer-service").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && this.value) { e.preventDefault(); this.form.requestSubmit(); }
  });

  render(state);
  setInterval(tick, 250);
  setTimeout(poll, POLL_MS);
})();
