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

  // answers reads the answers of the fields directly in scope (the form,
  // or one instance of a repeat): hidden (irrelevant) fields are left out,
  // and each repeat gives an array of its instances' answers. Helpers (the
  // region and district of the station cascade) only narrow a choice: they
  // are read for the conditions (all) but not sent.
  function answers(scope, all) {
    var out = {};
    scope.querySelectorAll("[data-q]").forEach(function (el) {
      if (el.closest("[data-repeat]") !== scope.closest("[data-repeat]")) return;
      if (!all && el.hasAttribute("data-helper")) return;
      var field = el.closest("[data-field]");
      if (field && field.hidden) return;
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
        el.querySelectorAll("input:checked").forEach(function (c) { if (!c.closest("label").hidden) vals.push(c.value); });
        if (vals.length) out[id] = vals;
        return;
      }
      if (type === "acknowledge") {
        if (el.querySelector("input:checked")) out[id] = "OK";
        return;
      }
      var checked = el.querySelector("input[type=radio]:checked");
      if (el.querySelector("input[type=radio]")) {
        if (!checked || checked.closest("label").hidden) return;
        if (type === "yes_no") out[id] = checked.value === "yes";
        else out[id] = checked.value;
        return;
      }
      var inp = el.querySelector("input, textarea");
      if (!inp || inp.value === "") return;
      if (type === "integer") out[id] = parseInt(inp.value, 10);
      else if (type === "decimal" || type === "range") out[id] = parseFloat(inp.value);
      else out[id] = inp.value;
    });
    if (!scope.closest("[data-repeat]")) {
      scope.querySelectorAll("[data-repeat]").forEach(function (rep) {
        var rows = [];
        rep.querySelectorAll(".rep-item").forEach(function (item) {
          var a = answers(item, all);
          if (Object.keys(a).length) rows.push(a);
        });
        if (rows.length) out[rep.getAttribute("data-repeat")] = rows;
      });
    }
    return out;
  }

  // The answer the conditions see: within a repeat instance, its own
  // questions first, then the form's.
  function valueOf(el, id) {
    var item = el.closest(".rep-item");
    var a = item ? answers(item, true) : {};
    if (!(id in a)) a = answers(document.getElementById("report"), true);
    var v = a[id];
    if (v === true) return "yes";
    if (v === false) return "no";
    return v;
  }

  // update shows the fields whose relevance holds (XLSForm relevant of the
  // forms ${q} = 'v', ${q} != 'v', selected(${q}, 'v'), joined by and) and,
  // in cascading selects, the choices whose columns match the answers
  // they are filtered by (choice_filter col = ${q}).
  function update(form) {
    for (var pass = 0; pass < 3; pass++) { // conditions on conditional answers
      form.querySelectorAll("[data-rel]").forEach(function (el) {
        var ok = JSON.parse(el.getAttribute("data-rel")).every(function (c) {
          var v = valueOf(el, c.q);
          if (c.op === "selected") return Array.isArray(v) ? v.indexOf(c.v) >= 0 : v === c.v;
          var s = Array.isArray(v) ? v.join(" ") : (v === undefined ? "" : String(v));
          return c.op === "=" ? s === c.v : s !== c.v;
        });
        el.hidden = !ok;
      });
      form.querySelectorAll("[data-filter]").forEach(function (el) {
        var pairs = JSON.parse(el.getAttribute("data-filter"));
        // The answers filtered by, read once per list: a station list has
        // thousands of choices, and reading the answers walks the form.
        var vals = pairs.map(function (p) { return valueOf(el, p[1]); });
        el.querySelectorAll("label[data-extra]").forEach(function (lab) {
          var extra = JSON.parse(lab.getAttribute("data-extra") || "null") || {};
          var show = pairs.every(function (p, i) { return vals[i] !== undefined && extra[p[0]] === String(vals[i]); });
          lab.hidden = !show;
          if (!show) lab.querySelector("input").checked = false;
        });
      });
      // A number filled in from a choice (the station from the cascade).
      form.querySelectorAll("input[data-copy]").forEach(function (inp) {
        var v = valueOf(inp, inp.getAttribute("data-copy"));
        if (v !== undefined) inp.value = String(v);
      });
    }
  }

  // checkConstraints reports a number outside its bounds with the form's
  // constraint message; true when all is well.
  function checkConstraints(form) {
    var bad = null;
    form.querySelectorAll("input[type=number]").forEach(function (inp) {
      var field = inp.closest("[data-field]");
      if (bad || inp.value === "" || (field && field.hidden)) return;
      if (!inp.checkValidity()) bad = { inp: inp, msg: (field && field.getAttribute("data-cmsg")) || inp.validationMessage };
    });
    if (bad) {
      document.getElementById("send-status").textContent = bad.msg;
      bad.inp.focus();
    }
    return !bad;
  }

  var form = document.getElementById("report");
  if (form) {
    form.addEventListener("change", function () { update(form); });
    form.addEventListener("click", function (ev) {
      var t = ev.target;
      if (t.hasAttribute("data-add-repeat")) {
        // Another instance of the repeat: a copy of the first, emptied,
        // its radio groups renamed so that each instance has its own.
        var rep = t.closest("[data-repeat]");
        var items = rep.querySelectorAll(".rep-item");
        var copy = items[0].cloneNode(true);
        var n = items.length + 1;
        copy.querySelectorAll("input, textarea").forEach(function (inp) {
          if (inp.type === "radio" || inp.type === "checkbox") inp.checked = false; else inp.value = "";
          if (inp.name) inp.name = inp.name.replace(/#\d+$/, "") + "#" + n;
          if (inp.id) inp.id = inp.id.replace(/#\d+$/, "") + "#" + n;
        });
        copy.querySelectorAll("label[for]").forEach(function (l) { l.htmlFor = l.htmlFor.replace(/#\d+$/, "") + "#" + n; });
        items[items.length - 1].after(copy);
        update(form);
      } else if (t.hasAttribute("data-locate") && navigator.geolocation) {
        var inp = t.parentNode.querySelector("input");
        navigator.geolocation.getCurrentPosition(function (pos) {
          var c = pos.coords;
          inp.value = [c.latitude, c.longitude, c.altitude || 0, c.accuracy || 0].join(" ");
        });
      }
    });
    update(form);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!checkConstraints(form)) return;
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
      form.querySelectorAll("[data-repeat]").forEach(function (rep) {
        rep.querySelectorAll(".rep-item").forEach(function (item, i) { if (i > 0) item.remove(); });
      });
      update(form);
      flush();
    });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  status();
  flush();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/observe/sw.js", { scope: "/observe/" }).catch(function () {});
    // The first page an observer opens may never come under the worker
    // (clients.claim does not always take it): put it in the worker's
    // cache from here, so that it opens offline all the same.
    if (window.caches) {
      navigator.serviceWorker.ready.then(function () {
        return caches.open("vigil-observe-v1").then(function (c) { return c.add(location.pathname + location.search); });
      }).catch(function () {});
    }
  }
})();
