/* Opening hours as a grid in the back-office (kiosk/server/content/weekly_grid.py):
   each day's sessions drawn on a 7 h – 21 h bar, a session column added on demand,
   Monday copied to the other weekdays, a row added to the exceptions. The inputs stay
   the form: this script only helps to fill them. */
(function () {
  "use strict";
  var FROM = 7 * 60, TO = 21 * 60;

  function minutes(text) {
    var m = /^(\d{1,2})[:hH](\d{2})/.exec((text || "").trim());
    return m ? Number(m[1]) * 60 + Number(m[2]) : null;
  }

  function drawBar(row) {
    var bar = row.querySelector(".wg-bar");
    if (!bar) return;
    bar.textContent = "";
    var cells = row.querySelectorAll(".wg-session");
    cells.forEach(function (cell) {
      var times = cell.querySelectorAll("input.wg-time");
      var a = minutes(times[0].value), b = minutes(times[1].value);
      if (a === null || b === null) return;
      var span = document.createElement("span");
      span.className = "wg-span" + (b <= a ? " wg-wrong" : "");
      var left = Math.max(0, Math.min(1, (a - FROM) / (TO - FROM)));
      var right = Math.max(0, Math.min(1, (Math.max(a, b) - FROM) / (TO - FROM)));
      span.style.left = (left * 100) + "%";
      span.style.width = Math.max(0.5, (right - left) * 100) + "%";
      span.title = times[0].value + " – " + times[1].value;
      bar.appendChild(span);
    });
  }

  function sessionCell(name, day, i, label) {
    var td = document.createElement("td");
    td.className = "wg-session";
    ["open", "close"].forEach(function (part, k) {
      if (k) td.appendChild(document.createTextNode(" – "));
      var input = document.createElement("input");
      input.type = "text";
      input.className = "wg-time";
      input.setAttribute("inputmode", "numeric");
      input.size = 5;
      input.maxLength = 8;
      input.placeholder = "hh:mm";
      input.autocomplete = "off";
      input.name = name + "-" + day + "-" + i + "-" + part;
      input.setAttribute("aria-label", label + ", séance " + (i + 1) + ", " + (k ? "fin" : "début"));
      td.appendChild(input);
    });
    return td;
  }

  function setupWeek(grid) {
    var name = grid.dataset.name;
    var columns = grid.querySelector(".wg-columns");
    var tools = document.createElement("p");
    tools.className = "wg-tools";
    var add = document.createElement("button");
    add.type = "button";
    add.className = "button";
    add.textContent = "Ajouter une séance";
    add.dataset.testid = "wg-add-column";
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "button";
    copy.textContent = "Copier le lundi sur mardi – vendredi";
    copy.dataset.testid = "wg-copy-monday";
    tools.appendChild(add);
    tools.appendChild(document.createTextNode(" "));
    tools.appendChild(copy);
    grid.appendChild(tools);

    add.addEventListener("click", function () {
      var n = Number(columns.value);
      if (n >= Number(grid.dataset.max)) return;
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = "Séance " + (n + 1);
      var head = grid.querySelector("thead tr");
      head.insertBefore(th, head.querySelector(".wg-bar-head"));
      grid.querySelectorAll("tbody tr").forEach(function (row) {
        var label = row.querySelector("th").textContent;
        row.insertBefore(sessionCell(name, row.dataset.day, n, label), row.querySelector(".wg-bar"));
      });
      columns.value = n + 1;
      add.disabled = n + 1 >= Number(grid.dataset.max);
    });

    copy.addEventListener("click", function () {
      var rows = grid.querySelectorAll("tbody tr");
      var monday = rows[0].querySelectorAll("input.wg-time");
      for (var d = 1; d <= 4; d++) {
        var inputs = rows[d].querySelectorAll("input.wg-time");
        inputs.forEach(function (input, k) { input.value = monday[k] ? monday[k].value : ""; });
        drawBar(rows[d]);
      }
    });

    grid.addEventListener("input", function (e) {
      var row = e.target.closest("tr");
      if (row) drawBar(row);
    });
    grid.querySelectorAll("tbody tr").forEach(drawBar);
  }

  function setupExceptions(grid) {
    var rows = grid.querySelector(".wg-rows");
    var add = document.createElement("button");
    add.type = "button";
    add.className = "button";
    add.textContent = "Ajouter un jour particulier";
    add.dataset.testid = "wg-add-exception";
    var tools = document.createElement("p");
    tools.className = "wg-tools";
    tools.appendChild(add);
    grid.appendChild(tools);
    add.addEventListener("click", function () {
      var body = grid.querySelector("tbody");
      var last = body.lastElementChild;
      var n = Number(rows.value);
      var copy = last.cloneNode(true);
      copy.dataset.row = n;
      copy.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.name = input.name.replace(/-\d+-/, "-" + n + "-");
        var label = input.getAttribute("aria-label");
        if (label) input.setAttribute("aria-label", label.replace(/particulier \d+/, "particulier " + (n + 1)));
      });
      body.appendChild(copy);
      rows.value = n + 1;
      copy.querySelector("input").focus();
    });
  }

  function init() {
    document.querySelectorAll(".weekly-grid").forEach(setupWeek);
    document.querySelectorAll(".exceptions-grid").forEach(setupExceptions);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
