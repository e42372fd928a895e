/* Floor plans in the back-office: click on a plan to place its landmarks (hotspots), or a
 * service's spot. A plain file served by us (the Content-Security-Policy forbids inline
 * scripts). The form fields stay the source of truth: this only writes into them (the
 * hotspots' JSON textarea; plan_x and plan_y), and re-reads them when an agent types. */
(function () {
  "use strict";

  function round(v) {
    return Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  }

  function node(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function parseList(text) {
    if (!text || !text.trim()) { return []; }
    try {
      var value = JSON.parse(text);
      return Array.isArray(value) ? value : null;
    } catch (e) {
      return null;
    }
  }

  function format(list) {
    if (!list.length) { return "[]"; }
    return "[\n" + list.map(function (h) { return "  " + JSON.stringify(h); }).join(",\n") + "\n]";
  }

  function labelOf(h) {
    return (h && h.label && (h.label.fr || h.label.en)) || (h && h.id) || "?";
  }

  /* The image in a positioned box; click(x, y) with x, y in 0..1 from the top-left. */
  function makeStage(editor, click) {
    var stage = node("div", "plan-stage");
    var img = node("img");
    img.alt = "Plan d'étage : cliquez pour placer";
    img.draggable = false;
    stage.appendChild(img);
    img.addEventListener("click", function (event) {
      var r = img.getBoundingClientRect();
      if (!r.width || !r.height) { return; }
      click(round((event.clientX - r.left) / r.width), round((event.clientY - r.top) / r.height));
    });
    editor.appendChild(stage);
    return { stage: stage, img: img };
  }

  function place(el, x, y) {
    el.style.left = (x * 100) + "%";
    el.style.top = (y * 100) + "%";
  }

  function mark(h, cls) {
    var left = (Number(h.x) || 0) > 0.72;  // the name on the dot's left near the right edge
    var el = node("span", "plan-mark" + (cls ? " " + cls : "") + (left ? " left" : ""));
    el.appendChild(node("span", "dot"));
    el.appendChild(node("span", "tag", labelOf(h)));
    place(el, Number(h.x) || 0, Number(h.y) || 0);
    return el;
  }

  function clearMarks(stage) {
    Array.prototype.slice.call(stage.querySelectorAll(".plan-mark, .plan-spot")).forEach(
      function (el) { el.remove(); });
  }

  /* -- landmarks of a floor plan --------------------------------------------------------- */
  function hotspotsEditor(editor) {
    var textarea = document.getElementById(editor.dataset.target);
    if (!textarea || !editor.dataset.image) { return; }
    editor.textContent = "";
    var tools = node("div", "plan-tools");
    var status = node("p", "plan-editor-status");
    var addNext = node("button", "button", "Nouveau repère au prochain clic");
    addNext.type = "button";
    tools.appendChild(addNext);
    editor.appendChild(tools);
    var selected = -1;
    var parts = makeStage(editor, onClick);
    editor.appendChild(status);
    var table = node("table", "plan-rows");
    editor.appendChild(table);
    parts.img.src = editor.dataset.image;

    function list() { return parseList(textarea.value); }

    function write(items) {
      textarea.value = format(items);
      textarea.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function uniqueId(items) {
      var n = items.length + 1;
      var ids = items.map(function (h) { return h.id; });
      while (ids.indexOf("repere-" + n) !== -1) { n += 1; }
      return n;
    }

    function onClick(x, y) {
      var items = list();
      if (items === null) { return; }
      if (selected >= 0 && selected < items.length) {
        items[selected].x = x;
        items[selected].y = y;
      } else {
        var n = uniqueId(items);
        items.push({ id: "repere-" + n, x: x, y: y, label: { fr: "Repère " + n } });
        selected = items.length - 1;
      }
      write(items);
      render();
    }

    addNext.addEventListener("click", function () { selected = -1; render(); });

    function render() {
      var items = list();
      clearMarks(parts.stage);
      table.textContent = "";
      if (items === null) {
        status.textContent = "Le texte JSON des repères est invalide : corrigez-le à la main.";
        status.className = "plan-editor-status error";
        return;
      }
      status.className = "plan-editor-status";
      status.textContent = selected >= 0 && selected < items.length
        ? "Cliquez sur le plan pour déplacer « " + labelOf(items[selected]) + " »."
        : "Cliquez sur le plan pour ajouter un repère.";
      items.forEach(function (h, i) {
        var el = mark(h, i === selected ? "selected" : "");
        el.dataset.index = String(i);
        el.querySelector(".dot").addEventListener("click", function (event) {
          event.stopPropagation();
          selected = i;
          render();
        });
        parts.stage.appendChild(el);
        table.appendChild(row(h, i));
      });
    }

    function row(h, i) {
      var tr = node("tr", i === selected ? "selected" : "");
      var move = node("button", "button", "Déplacer");
      move.type = "button";
      move.addEventListener("click", function () { selected = i; render(); });
      var id = node("input");
      id.type = "text";
      id.value = h.id || "";
      id.setAttribute("aria-label", "identifiant du repère");
      var label = node("input");
      label.type = "text";
      label.value = (h.label && h.label.fr) || "";
      label.setAttribute("aria-label", "libellé en français");
      label.placeholder = "libellé en français";
      function edit() {
        var items = list();
        if (items === null || !items[i]) { return; }
        items[i].id = id.value.trim();
        items[i].label = Object.assign({}, items[i].label || {}, { fr: label.value });
        write(items);
        var tag = parts.stage.querySelector('.plan-mark[data-index="' + i + '"] .tag');
        if (tag) { tag.textContent = labelOf(items[i]); }
        if (i === selected) {
          status.textContent = "Cliquez sur le plan pour déplacer « " + labelOf(items[i]) + " ».";
        }
      }
      id.addEventListener("input", edit);
      label.addEventListener("input", edit);
      var del = node("button", "button", "Supprimer");
      del.type = "button";
      del.addEventListener("click", function () {
        var items = list();
        if (items === null) { return; }
        items.splice(i, 1);
        selected = -1;
        write(items);
        render();
      });
      var coords = node("span", "num", "x " + h.x + " · y " + h.y);
      [move, id, label, coords, del].forEach(function (el) {
        var td = node("td");
        td.appendChild(el);
        tr.appendChild(td);
      });
      return tr;
    }

    textarea.addEventListener("input", render);
    var initial = list();
    if (initial !== null && initial.length) { textarea.value = format(initial); }
    render();
  }

  /* -- a service's spot on its plan -------------------------------------------------------- */
  function spotEditor(editor) {
    var select = document.getElementById(editor.dataset.target);
    var xInput = document.getElementById(editor.dataset.x);
    var yInput = document.getElementById(editor.dataset.y);
    var site = document.getElementById(editor.dataset.site);
    if (!select || !xInput || !yInput) { return; }
    var plans = {};
    try { plans = JSON.parse(editor.dataset.plans || "{}"); } catch (e) { plans = {}; }
    var status = node("p", "plan-editor-status");
    editor.appendChild(status);
    var parts = makeStage(editor, function (x, y) {
      xInput.value = String(x);
      yInput.value = String(y);
      xInput.dispatchEvent(new Event("change", { bubbles: true }));
      yInput.dispatchEvent(new Event("change", { bubbles: true }));
      render();
    });

    function current() {
      var slug = select.value;
      if (!slug) { return null; }
      var siteId = site ? site.value : "";
      if (siteId && plans[siteId]) { return plans[siteId][slug] || null; }
      var keys = Object.keys(plans);
      for (var k = 0; k < keys.length; k += 1) {
        if (plans[keys[k]][slug]) { return plans[keys[k]][slug]; }
      }
      return null;
    }

    function render() {
      var plan = current();
      clearMarks(parts.stage);
      if (!plan || !plan.image) {
        parts.stage.hidden = true;
        status.textContent = select.value
          ? "Ce plan n'a pas d'image dans le back-office : saisissez x et y à la main."
          : "Choisissez un plan pour placer le point du service en cliquant dessus.";
        return;
      }
      parts.stage.hidden = false;
      if (parts.img.getAttribute("src") !== plan.image) { parts.img.src = plan.image; }
      (plan.hotspots || []).forEach(function (h) { parts.stage.appendChild(mark(h, "faint")); });
      var x = parseFloat(xInput.value);
      var y = parseFloat(yInput.value);
      if (isFinite(x) && isFinite(y)) {
        var spot = node("span", "plan-spot");
        place(spot, Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y)));
        parts.stage.appendChild(spot);
        status.textContent = "Point du service : x " + x + ", y " + y +
          ". Cliquez ailleurs sur le plan pour le déplacer.";
      } else {
        status.textContent = "Cliquez sur le plan pour placer le point du service.";
      }
    }

    [select, xInput, yInput, site].forEach(function (el) {
      if (el) {
        el.addEventListener("change", render);
        el.addEventListener("input", render);
      }
    });
    render();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".plan-editor"), function (editor) {
      if (editor.dataset.mode === "hotspots") { hotspotsEditor(editor); }
      if (editor.dataset.mode === "spot") { spotEditor(editor); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
