// vigil dashboard: the page works without this script; with it,
//
//   - the coverage table follows the reports live: an EventSource on the
//     server's stream (/dashboard/{election}/events) receives the table
//     rendered again whenever reports arrive, and swaps it in;
//   - the action forms (triage, verify/quarantine, resolve a conflict) are
//     sent as JSON to the observation API instead of posting the page, and
//     the row says what happened.
(function () {
  "use strict";
  var cov = document.getElementById("coverage");
  var live = document.getElementById("live-status");
  function say(text) { if (live) live.textContent = text; }

  if (cov && cov.dataset.events && window.EventSource) {
    var url = cov.dataset.events;
    url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(cov.dataset.stamp || "");
    var es = new EventSource(url);
    es.addEventListener("open", function () { say(live.dataset.live); });
    // A keyboard user inside the table keeps their place: the new table
    // waits until the focus leaves it.
    var pending = null;
    function swap(ev) {
      cov.innerHTML = ev.data;
      cov.dataset.stamp = ev.lastEventId;
      say(live.dataset.updated + " " + new Date().toLocaleTimeString());
    }
    es.addEventListener("coverage", function (ev) {
      if (cov.contains(document.activeElement)) { pending = ev; return; }
      swap(ev);
    });
    cov.addEventListener("focusout", function () {
      setTimeout(function () {
        if (pending && !cov.contains(document.activeElement)) { swap(pending); pending = null; }
      }, 0);
    });
    // The lists below are as loaded; their counts in the contents follow.
    es.addEventListener("counts", function (ev) {
      var c = JSON.parse(ev.data);
      Object.keys(c).forEach(function (k) {
        var el = document.querySelector('[data-count="' + k + '"]');
        if (el && el.textContent !== String(c[k])) { el.textContent = c[k]; el.classList.add("changed"); }
      });
    });
    es.addEventListener("error", function () { say(live.dataset.off); });
    window.addEventListener("pagehide", function () { es.close(); });
  }

  function body(form, submitter) {
    var out = {};
    var fd = new FormData(form);
    if (submitter && submitter.name) fd.set(submitter.name, submitter.value);
    fd.forEach(function (v, k) {
      if (k === "a") return;
      if (k === "area_id") out[k] = parseInt(v, 10);
      else if (k === "value") out[k] = JSON.parse(v);
      else out[k] = v;
    });
    return out;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.dataset || !form.dataset.api || !window.fetch) return;
    ev.preventDefault();
    var msg = form.querySelector(".msg");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var sent = body(form, ev.submitter);
    fetch(form.dataset.api, {
      method: form.dataset.method || "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(sent)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        buttons.forEach(function (b) { b.disabled = false; });
        if (!res.ok) {
          form.classList.add("failed");
          if (msg) msg.textContent = (data.error && data.error.message) || ("HTTP " + res.status);
          return;
        }
        form.classList.remove("failed");
        form.classList.add("done");
        var row = form.closest("tr");
        if (sent.status && row) {
          row.dataset.status = data.status || sent.status;
          var cell = row.querySelector(".status");
          if (cell && ev.submitter) cell.textContent = ev.submitter.textContent;
        }
        if (msg) msg.textContent = document.body.dataset.saved || "✓";
      });
    }).catch(function (err) {
      buttons.forEach(function (b) { b.disabled = false; });
      form.classList.add("failed");
      if (msg) msg.textContent = String(err);
    });
  });
})();
