// vigil observer web form: an offline queue of reports.
//
// Pressing Send makes the report's client id (crypto.randomUUID) and puts
// the report in a queue kept in localStorage before anything goes over the
// network. The queue is sent in order whenever the page is open and the
// network is up (at load, on the "online" event, every 20 s). A report
// leaves the queue only when the server acknowledges it: 201 (stored) or
// 200 (already stored: a resend of a report whose answer was lost). A 400
// means the report itself is wrong: it is kept aside, with the server's
// message, for the observer to see. Any other answer, or no answer, leaves
// it queued for the next try with the same client id, so the server stores
// it once however many times it is sent.
(function () {
  "use strict";
  var KEY = "vigil.queue.v1";
  var REJECTED = "vigil.rejected.v1";
  // Receipts of acknowledged reports: the leaf of the transparency log
  // each became (index and hash). They stay on the phone, so the observer
  // can later prove the report the mission cites is the one they sent
  // (vigil log prove --index N --hash H, or GET /log/proof?index=N).
  var RECEIPTS = "vigil.receipts.v1";

  function load(k) {
    try { return JSON.parse(localStorage.getItem(k) || "[]"); } catch (e) { return []; }
  }
  function save(k, v) { localStorage.setItem(k, JSON.stringify(v)); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The page's texts, in the observer's language: the template puts
  // them in data-msg-* attributes of #report ("{n}"-style placeholders),
  // so that this script holds no words of its own.
  function msg(name, vals) {
    var form = document.getElementById("report");
    var s = (form && form.getAttribute("data-msg-" + name)) || name;
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vals && k in vals ? String(vals[k]) : m; });
  }

  function status() {
    var el = document.getElementById("queue-status");
    if (!el) return;
    var q = load(KEY), rej = load(REJECTED);
    var parts = [];
    parts.push(q.length ? msg("queued", { n: q.length }) : msg("nothing"));
    rej.forEach(function (r) { parts.push(msg("rejected", { form: r.body.form, message: r.message })); });
    var rc = load(RECEIPTS);
    if (rc.length) {
      var last = rc[rc.length - 1];
      parts.push(msg("receipts", { n: rc.length, report: last.report_id, leaf: last.leaf_index, hash: last.leaf_hash }));
    }
    el.textContent = parts.join(" ");
  }

  var sending = false;
  function flush() {
    if (sending) return;
    var q = load(KEY);
    if (!q.length) { status(); return; }
    sending = true;
    var item = q[0];
    fetch(item.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Vigil-Channel": "web" },
      body: JSON.stringify(item.body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        var cur = load(KEY);
        if (res.status === 201 || res.status === 200) {
          save(KEY, cur.filter(function (x) { return x.body.client_id !== item.body.client_id; }));
          if (data.leaf && data.leaf.leaf_hash) {
            var rcs = load(RECEIPTS).filter(function (x) { return x.client_id !== item.body.client_id; });
            rcs.push({ client_id: item.body.client_id, form: item.body.form, report_id: data.report_id,
              leaf_index: data.leaf.leaf_index, leaf_hash: data.leaf.leaf_hash, at: new Date().toISOString() });
            save(RECEIPTS, rcs);
          }
        } else if (res.status === 400 || res.status === 403 || res.status === 404) {
          save(KEY, cur.filter(function (x) { return x.body.client_id !== item.body.client_id; }));
          var rej = load(REJECTED);
          var msg = (data.error && data.error.message) || ("HTTP " + res.status);
          if (data.error && data.error.problems) {
            msg += ": " + data.error.problems.map(function (p) { return p.question + (p.item ? "/" + p.item : "") + " " + p.message; }).join("; ");
          }
          rej.push({ body: item.body, message: msg });
          save(REJECTED, rej);
        } else {
          throw new Error("HTTP " + res.status);
        }
        sending = false;
        status();
        flush();
      });
    }).catch(function () {
      sending = false; // offline or server busy: keep it, try later
      status();
    });
  }

  function answers(form) {
    var out = {};
    form.querySelectorAll("[data-q]").forEach(function (el) {
      var id = el.getAttribute("data-q"), type = el.getAttribute("data-type");
      if (type === "protocol") {
        var items = {}, any = false;
        el.querySelectorAll("input[data-item]").forEach(function (inp) {
          if (inp.value !== "") { items[inp.getAttribute("data-item")] = parseInt(inp.value, 10); any = true; }
        });
        if (any) out[id] = items;
        return;
      }
      if (type === "select_multiple") {
        var vals = [];
        el.querySelectorAll("input:checked").forEach(function (c) { vals.push(c.value); });
        if (vals.length) out[id] = vals;
        return;
      }
      var checked = el.querySelector("input[type=radio]:checked");
      if (el.querySelector("input[type=radio]")) {
        if (!checked) return;
        if (type === "yes_no") out[id] = checked.value === "yes";
        else out[id] = checked.value;
        return;
      }
      var inp = el.querySelector("input, textarea");
      if (!inp || inp.value === "") return;
      if (type === "integer") out[id] = parseInt(inp.value, 10);
      else if (type === "decimal") out[id] = parseFloat(inp.value);
      else out[id] = inp.value;
    });
    return out;
  }

  var form = document.getElementById("report");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {
        client_id: uuid(), form: form.getAttribute("data-form"), version: form.getAttribute("data-version"),
        submitted: new Date().toISOString().replace(/\.\d+Z$/, "Z"), answers: answers(form)
      };
      var area = document.getElementById("area_id");
      if (area && area.value) body.area_id = parseInt(area.value, 10);
      var q = load(KEY);
      q.push({ url: form.getAttribute("data-submit"), body: body });
      save(KEY, q);
      document.getElementById("send-status").textContent = msg("saved", { id: body.client_id.slice(0, 8) });
      form.reset();
      flush();
    });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  status();
  flush();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/observe/sw.js", { scope: "/observe/" }).catch(function () {});
  }
})();
