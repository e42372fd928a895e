/* Display board: polls etat.json every second; each new call (or recall) rings a chime
   and is spoken in French and, if different, in the ticket's language. Reconnects by itself
   (backoff up to 5 s) with a small "connexion perdue" notice. */
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root || !window.fetch) return;

  var POLL_MS = 1000, MAX_BACKOFF_MS = 5000, FRESH_S = 120;
  var etag = null;
  var url = root.dataset.stateUrl;
  var initial = JSON.parse(document.getElementById("board-state").textContent);
  var seen = new Set(initial.calls.map(function (c) { return c.key; }));
  var failures = 0, lastLatest = initial.calls.length ? initial.calls[0].key : "";
  // For people (and tests) checking what the board did.
  var log = window.carrefourBoard = { announced: [], polls: 0, failures: 0, recovered: 0 };

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // -- sound -----------------------------------------------------------------------------
  var audio = null;
  try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
  var soundButton = $("sound");
  function checkAudio() { if (audio) soundButton.hidden = audio.state !== "suspended"; }
  soundButton.addEventListener("click", function () {
    if (audio) audio.resume().then(checkAudio);
    if (window.speechSynthesis) speechSynthesis.speak(new SpeechSynthesisUtterance(""));
  });
  setTimeout(checkAudio, 1500);

  function chime() {
    if (!audio || audio.state !== "running") return 0;
    var t0 = audio.currentTime + 0.05;
    [[659.25, 0], [880, 0.35], [1046.5, 0.7]].forEach(function (n) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = n[0];
      gain.gain.setValueAtTime(0.0001, t0 + n[1]);
      gain.gain.exponentialRampToValueAtTime(0.35, t0 + n[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + n[1] + 0.9);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + n[1]);
      osc.stop(t0 + n[1] + 1);
    });
    return 1700;
  }

  // -- speech ----------------------------------------------------------------------------
  // The spoken call in each language, from the server's catalogs (board.say, board.say_named).
  var SPOKEN = JSON.parse(document.getElementById("board-phrases").textContent);
  function phrase(lang, n, c, named) {
    var p = SPOKEN[lang];
    return p ? (named ? p.say_named : p.say).replace("{number}", n).replace("{counter}", c) : "";
  }
  function spokenNumber(number) { // "C042" -> "C 42"
    var m = /^([A-Z])0*(\d+)$/.exec(number);
    return m ? m[1] + " " + m[2] : number;
  }
  function voiceFor(lang) {
    if (!window.speechSynthesis) return null;
    var voices = speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang && voices[i].lang.toLowerCase().indexOf(lang) === 0) return voices[i];
    }
    return null;
  }
  function say(text, lang) {
    var u = new SpeechSynthesisUtterance(text);
    u.lang = { fr: "fr-FR", en: "en-GB", ar: "ar", zh: "zh-CN" }[lang] || lang;
    var v = voiceFor(lang);
    if (v) u.voice = v;
    u.rate = 0.9;
    speechSynthesis.speak(u);
  }
  function announce(call) {
    var n = spokenNumber(call.number);
    var named = call.named;
    var lines = [["fr", phrase("fr", n, call.counter_label, named)]];
    var lang = call.language;
    // The ticket's language too, when the browser has a voice for it (no voice: French only).
    if (lang !== "fr" && SPOKEN[lang] && voiceFor(lang)) {
      lines.push([lang, phrase(lang, n, call.counter_label, named)]);
    }
    log.announced.push({ key: call.key, number: call.number, counter: call.counter,
                         at: Date.now(), lines: lines });
    var delay = chime();
    if (!window.speechSynthesis) return;
    setTimeout(function () {
      lines.forEach(function (l) { say(l[1], l[0]); });
    }, delay);
  }

  // -- drawing ---------------------------------------------------------------------------
  // The call's language in its own name, the help-reading pictogram (copied from the page's
  // <template>, words in the board's language) and an appointment's time: _board_tags.html.
  var HELP = $("help-reading").innerHTML;
  function tags(c, testid) {
    return '<span class="tags"><span class="lang"' + (testid ? ' data-testid="' + testid + '"' : "") +
      ' lang="' + esc(c.language) + '" dir="' + esc(c.language_dir) + '">' + esc(c.language_name) + "</span>" +
      (c.help_reading ? HELP : "") +
      (c.slot ? '<span class="slot" data-testid="slot">🕑 ' + esc(c.slot) + "</span>" : "") + "</span>";
  }

  function render(s) {
    var latest = s.calls[0];
    var key = latest ? latest.key : "";
    if (key !== lastLatest) {
      $("latest").innerHTML = latest
        ? '<span class="ticket" data-testid="latest-number">' + esc(latest.number) +
          '</span><span class="arrow" aria-hidden="true">→</span><span class="where" data-testid="latest-counter">' +
          esc(latest.counter) + "</span>" + tags(latest, "latest-language")
        : '<span class="idle">' + esc(root.dataset.idle) + "</span>";
      if (lastLatest) {
        $("latest").classList.remove("new");
        void $("latest").offsetWidth;
        $("latest").classList.add("new");
      }
      lastLatest = key;
    }
    $("calls").innerHTML = s.calls.slice(1).map(function (c) {
      return '<li><span class="ticket">' + esc(c.number) + '</span><span class="where">' + esc(c.counter) + "</span>" + tags(c) + "</li>";
    }).join("");
  }

  function handle(s) {
    render(s);
    // Oldest first, so the queue of announcements keeps the order of the calls.
    s.calls.slice().reverse().forEach(function (c) {
      if (seen.has(c.key)) return;
      seen.add(c.key);
      if (c.age_s <= FRESH_S) announce(c);
    });
    if (seen.size > 500) seen = new Set(s.calls.map(function (c) { return c.key; }));
  }

  function offline(on) { $("offline").hidden = !on; }

  function poll() {
    var ctrl = window.AbortController ? new AbortController() : null;
    var guard = ctrl ? setTimeout(function () { ctrl.abort(); }, 4000) : null;
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag; // 304, no body, while nothing was called
    fetch(url, { cache: "no-store", headers: headers, signal: ctrl && ctrl.signal })
      .then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error("HTTP " + r.status);
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (s) {
        log.polls += 1;
        if (failures) log.recovered += 1;
        failures = 0;
        offline(false);
        if (s) handle(s);
      })
      .catch(function () {
        failures += 1;
        log.failures += 1;
        if (failures >= 2) offline(true);
      })
      .then(function () {
        clearTimeout(guard);
        var delay = failures ? Math.min(POLL_MS * Math.pow(2, failures - 1), MAX_BACKOFF_MS) : POLL_MS;
        setTimeout(poll, delay * (failures ? 0.8 + Math.random() * 0.4 : 1));
      });
  }

  function clock() {
    var d = new Date();
    $("clock").textContent = (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" +
      (d.getMinutes() < 10 ? "0" : "") + d.getMinutes();
  }
  clock();
  setInterval(clock, 10000);
  setTimeout(poll, POLL_MS);
})();
