// tarea: the online form of a homework packet. Answers are kept in this browser's localStorage
// only, under the packet's token, and leave the device only when the patient prints or downloads
// them. No framework, no network: the page works the same opened from a clinic's static host.
// Field names follow src/answers.rs: "task/row/column", "task/day/2026-11-27", "task/likely"…
(function () {
  "use strict";
  var FORMAT = "tarea-answers", VERSION = 1;

  function pad(n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); }

  // Today on this device's calendar, as the sheet's days are written: "2026-11-27".
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  // Now as an ISO 8601 time with this device's offset, so that the therapist reads the patient's
  // own clock ("21:40"), not UTC.
  function now() {
    var d = new Date(), offset = -d.getTimezoneOffset();
    return today() + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      (offset < 0 ? "-" : "+") + pad(offset / 60) + ":" + pad(offset % 60);
  }

  function storageKey(token) { return "tarea:" + token; }

  function load(token) {
    try {
      var stored = JSON.parse(window.localStorage.getItem(storageKey(token)) || "null");
      if (stored && stored.answers) return stored;
    } catch (e) { /* unreadable: start afresh */ }
    return { version: VERSION, answers: {}, labels: {}, times: {}, saved: null };
  }

  function store(token, state) {
    try {
      window.localStorage.setItem(storageKey(token), JSON.stringify(state));
      return true;
    } catch (e) { return false; }
  }

  // The value of a field by name: a checked radio's value, "true" for a ticked box, the text.
  // Only what `tarea import` accepts is kept: a number out of its range (the browser marks it) or
  // control characters pasted into a text are left out, so one slip cannot spoil the file.
  function valueOf(elements) {
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (el.type === "radio") { if (el.checked) return el.value; }
      else if (el.type === "checkbox") { if (el.checked) return "true"; }
      else if (el.value !== "" && (!el.validity || el.validity.valid)) {
        // "70.0", "7e1" and "-0" are valid numbers to the browser; import wants plain "70".
        if (el.type === "number") return String(Math.round(el.valueAsNumber) + 0);
        return el.value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, "");
      }
    }
    return null;
  }

  function setValue(elements, value) {
    elements.forEach(function (el) {
      if (el.type === "radio") el.checked = value !== null && el.value === value;
      else if (el.type === "checkbox") el.checked = value === "true";
      else el.value = value === null ? "" : value;
    });
  }

  function mirror(name, value, yes) {
    document.querySelectorAll(".answer[data-for]").forEach(function (span) {
      if (span.getAttribute("data-for") !== name) return;
      span.textContent = value === null ? "" : value === "true" ? yes : value;
    });
  }

  function download(filename, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function escapeMarkdown(text) {
    return String(text).replace(/([\\`*_{}\[\]<>()#+!|~])/g, "\\$1").replace(/^(\s*)([-=])/gm, "$1\\$2");
  }

  // A readable copy: one heading per sheet, one line per answer, in the order the sheets ask.
  function markdown(bar, state) {
    var lines = ["# " + escapeMarkdown(bar.getAttribute("data-md-title")), ""];
    var byTask = {};
    var order = [];
    Object.keys(state.answers).sort(function (a, b) {
      var la = state.labels[a] || {}, lb = state.labels[b] || {};
      return (la.order || 0) - (lb.order || 0) || (a < b ? -1 : a > b ? 1 : 0);
    }).forEach(function (name) {
      var label = state.labels[name] || {};
      var task = label.task || name.split("/")[0];
      if (!byTask[task]) { byTask[task] = []; order.push(task); }
      var value = state.answers[name] === "true" ? bar.getAttribute("data-yes") : state.answers[name];
      byTask[task].push("- **" + escapeMarkdown(label.label || name) + ":** " +
        escapeMarkdown(value).replace(/\n/g, "  \n  "));
    });
    order.forEach(function (task) {
      lines.push("## " + escapeMarkdown(task), "");
      lines.push.apply(lines, byTask[task]);
      lines.push("");
    });
    return lines.join("\n");
  }

  // A field's readable name: its own data-label, or its radio group's.
  function labelOf(el) {
    var labelled = el.closest ? el.closest("[data-label]") : null;
    return labelled ? labelled.getAttribute("data-label") : null;
  }

  // A sheet drawn as cards (a phone, or more columns than the screen holds: tarea.css) folds its
  // days into their <details>, but for today's — or the first day, when today is not on the sheet
  // — so that a week of rows is not a page of empty cards. Drawn as a table, every day is open.
  // Only a change of layout refolds, so what the patient opened stays open. Rendered open, every
  // day shows without JavaScript; folded fields are still in the page, kept and downloaded.
  function fold() {
    if (window.matchMedia("print").matches) return;
    document.querySelectorAll("table.sheet").forEach(function (table) {
      var days = Array.prototype.slice.call(table.querySelectorAll("details.day"));
      var layout = window.getComputedStyle(table).display === "table" ? "table" : "cards";
      if (!days.length || table.getAttribute("data-layout") === layout) return;
      table.setAttribute("data-layout", layout);
      var date = today();
      var shown = days.filter(function (day) {
        var time = day.querySelector("time[datetime]");
        return time && time.getAttribute("datetime") === date;
      })[0] || days[0];
      days.forEach(function (day) { day.open = layout === "table" || day === shown; });
    });
  }

  // Printed, every day is on the paper (tarea.css prints folded rows too; opened, their heads
  // read the same); afterwards the days the patient had folded fold again.
  var foldedForPrint = null;
  function openForPrint() {
    if (foldedForPrint) return;
    foldedForPrint = Array.prototype.filter.call(document.querySelectorAll("details.day"), function (day) {
      return !day.open;
    });
    foldedForPrint.forEach(function (day) { day.open = true; });
  }
  function foldAfterPrint() {
    if (!foldedForPrint) return;
    foldedForPrint.forEach(function (day) { day.open = false; });
    foldedForPrint = null;
  }
  window.addEventListener("beforeprint", openForPrint);
  window.addEventListener("afterprint", foldAfterPrint);
  // Print media without the print events (a preview, or a browser that only switches media).
  window.matchMedia("print").addEventListener("change", function (event) {
    if (event.matches) openForPrint(); else foldAfterPrint();
  });
  window.addEventListener("resize", function () { if (!foldedForPrint) fold(); });

  // Each scale arrives as an empty fieldset naming its range (parts/input.html) and gets its row
  // of buttons here, one radio button a point, labelled by its number.
  function drawScales() {
    document.querySelectorAll("fieldset.scale-field[data-min]").forEach(function (set) {
      if (set.querySelector(".scale-options")) return;
      var row = document.createElement("span"), name = set.getAttribute("data-name");
      row.className = "scale-options";
      for (var v = Number(set.getAttribute("data-min")); v <= Number(set.getAttribute("data-max")); v++) {
        var label = document.createElement("label"), input = document.createElement("input"), number = document.createElement("span");
        input.type = "radio";
        input.name = name;
        input.value = String(v);
        number.textContent = String(v);
        label.appendChild(input);
        label.appendChild(number);
        row.appendChild(label);
      }
      set.appendChild(row);
    });
  }

  // The page being filled in: set up by init, used by the listeners below.
  var page = null;

  function init() {
    drawScales();
    fold();
    var bar = document.querySelector(".answers-bar[data-packet]");
    page = null;
    if (!bar) return;
    var token = bar.getAttribute("data-packet");
    var state = load(token);
    var taskTitle = ((document.querySelector("h1") || {}).textContent || "").trim();
    var byName = {};
    document.querySelectorAll(".field[name], .scale-field input[name]").forEach(function (el) {
      (byName[el.name] = byName[el.name] || []).push(el);
    });
    page = { bar: bar, token: token, state: state, byName: byName, names: Object.keys(byName), yes: bar.getAttribute("data-yes") };
    if (!state.labels) state.labels = {};
    page.names.forEach(function (name, index) {
      var value = Object.prototype.hasOwnProperty.call(state.answers, name) ? state.answers[name] : null;
      setValue(byName[name], value);
      mirror(name, value, page.yes);
      // Remembered so that the readable copy can name every answer, whichever page it came from.
      state.labels[name] = { task: taskTitle, label: labelOf(byName[name][0]) || name, order: index };
    });
    document.documentElement.classList.add("form-ready");
    bar.hidden = false;
  }

  // Another page of this packet (a second tab, or one kept in the back/forward cache) may have
  // saved since this one loaded: every save starts from what is stored, never from a stale copy.
  function fresh() {
    var state = load(page.token);
    state.labels = Object.assign(state.labels || {}, page.state.labels);
    page.state = state;
    return state;
  }

  function save(name) {
    var state = fresh(), bar = page.bar;
    var value = valueOf(page.byName[name]);
    // Each answer keeps when it was written: a week of rows filled in the night before shows.
    if (!state.times) state.times = {};
    if (value === null) { delete state.answers[name]; delete state.times[name]; }
    else { state.answers[name] = value; state.times[name] = now(); }
    state.saved = now();
    mirror(name, value, page.yes);
    var time = new Date().toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
    // A browser that keeps nothing (storage full, or turned off) must say so, not look saved.
    bar.querySelector(".status").textContent = store(page.token, state)
      ? bar.getAttribute("data-saved").replace("{time}", time)
      : bar.getAttribute("data-not-saved");
  }

  // What another tab saved shows here too.
  window.addEventListener("storage", function (event) {
    if (!page || event.key !== storageKey(page.token)) return;
    var state = fresh();
    page.names.forEach(function (name) {
      var value = Object.prototype.hasOwnProperty.call(state.answers, name) ? state.answers[name] : null;
      setValue(page.byName[name], value);
      mirror(name, value, page.yes);
    });
  });

  function changed(event) {
    var name = event.target && event.target.name;
    if (page && name && page.byName[name]) save(name);
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".answers-bar button[data-action]") : null;
    if (!button || !page) return;
    var bar = page.bar, state = fresh();
    var action = button.getAttribute("data-action");
    // Named by date and the packet's short code: two patients seen the same day send files with
    // different names, and neither name says whose it is.
    // (A site's own older answers-bar.html may have no code: then the date alone.)
    var code = bar.getAttribute("data-code");
    var base = "answers-" + bar.getAttribute("data-date") + (code ? "-" + code : "");
    if (action === "print") window.print();
    if (action === "download-json") {
      var file = { format: FORMAT, version: VERSION, token: page.token, saved: state.saved || now(), answers: state.answers, times: state.times || {} };
      download(base + ".json", "application/json", JSON.stringify(file, null, 2) + "\n");
    }
    if (action === "download-md") download(base + ".md", "text/markdown", markdown(bar, state));
    if (action === "clear" && window.confirm(bar.getAttribute("data-confirm"))) {
      try { window.localStorage.removeItem(storageKey(page.token)); } catch (e) { /* nothing was kept */ }
      page.state = { version: VERSION, answers: {}, labels: state.labels, times: {}, saved: null };
      page.names.forEach(function (name) { setValue(page.byName[name], null); mirror(name, null, page.yes); });
      bar.querySelector(".status").textContent = bar.getAttribute("data-cleared");
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  // A password-protected packet swaps its pages in place (unlock.js): set up each one shown.
  document.addEventListener("tarea:page", init);
  // A page restored from the back/forward cache shows what was saved meanwhile.
  window.addEventListener("pageshow", function (event) { if (event.persisted) init(); });
})();
