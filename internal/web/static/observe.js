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
  // XPath: the evaluator of the expressions XLSForms carry (relevant,
  // constraint, required, calculation, choice_filter), the same subset
  // and rules as the server's (internal/observe/form/xpath.go); both are
  // tested against internal/observe/form/testdata/xpath_vectors.json.
  // Expressions are parsed into a tree and walked: never eval'd.
  var XPath = (function () {
    // Errors are codes (never shown: an expression that cannot be
    // evaluated does not decide); the server's messages say them in words.
    function XPathError(m) { this.message = m; }
    XPathError.prototype.toString = function () { return this.message; };
    function fail(m) { throw new XPathError(m); }
    function isNameStart(c) { return c === "_" || /[A-Za-z]/.test(c) || c.charCodeAt(0) >= 0x80; }
    function isNameChar(c) { return isNameStart(c) || /[0-9.:\-]/.test(c); }
    function operand(t) {
      return t.kind === "num" || t.kind === "str" || t.kind === "ref" || t.kind === "name" ||
        (t.kind === "op" && (t.text === ")" || t.text === "." || t.text === ".."));
    }
    function lex(s) {
      var out = [], i = 0;
      while (i < s.length) {
        var c = s[i], start = i, prev = out.length > 0 && operand(out[out.length - 1]);
        if (c === " " || c === "\t" || c === "\n" || c === "\r") { i++; continue; }
        if (c === "$" && s[i + 1] === "{") {
          var j = s.indexOf("}", i);
          if (j < 0) fail("unclosed ${ at character " + (i + 1));
          var name = s.slice(i + 2, j).trim();
          if (!name) fail("empty ${} at character " + (i + 1));
          out.push({ kind: "ref", text: name, pos: start }); i = j + 1; continue;
        }
        if (c === "'" || c === "\"") {
          var k = s.indexOf(c, i + 1);
          if (k < 0) fail("unclosed-string@" + (i + 1));
          out.push({ kind: "str", text: s.slice(i + 1, k), pos: start }); i = k + 1; continue;
        }
        if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(s[i + 1] || ""))) {
          while (i < s.length && /[0-9.]/.test(s[i])) i++;
          var txt = s.slice(start, i);
          if (!/^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(txt)) fail("bad-number@" + (start + 1));
          out.push({ kind: "num", text: txt, num: parseFloat(txt), pos: start }); continue;
        }
        if (isNameStart(c)) {
          while (i < s.length && isNameChar(s[i])) i++;
          var w = s.slice(start, i);
          var isOp = prev && (w === "and" || w === "or" || w === "div" || w === "mod");
          out.push({ kind: isOp ? "op" : "name", text: w, pos: start }); continue;
        }
        var two = s.slice(i, i + 2);
        if (two === "!=" || two === "<=" || two === ">=" || two === ".." || two === "//") {
          out.push({ kind: "op", text: two, pos: start }); i += 2; continue;
        }
        if ("(),+-*=<>/.|".indexOf(c) >= 0) {
          if (c === "*" && !prev) fail("wildcard * at character " + (i + 1) + " is not supported");
          out.push({ kind: "op", text: c, pos: start }); i++; continue;
        }
        fail("unexpected \"" + c + "\" at character " + (i + 1));
      }
      out.push({ kind: "end", text: "", pos: s.length });
      return out;
    }
    function parse(s) {
      if (s.length > 4000) fail("too-long:" + s.length);
      var toks = lex(s), p = 0, depth = 0;
      // Parentheses and calls nest at most 64 deep, as on the server.
      function enter() { if (++depth > 64) fail("too-deep@" + (toks[p].pos + 1)); }
      function peek() { return toks[p]; }
      function isOp(ops) { var t = toks[p]; return t.kind === "op" && ops.indexOf(t.text) >= 0 ? t.text : null; }
      function binary(sub, ops) {
        return function () {
          var l = sub(), op;
          while ((op = isOp(ops))) { p++; l = { op: op, args: [l, sub()] }; }
          return l;
        };
      }
      function unary() {
        if (isOp(["-"])) { p++; return { op: "neg", args: [unary()] }; }
        return primary();
      }
      var mul = binary(unary, ["*", "div", "mod"]), add = binary(mul, ["+", "-"]),
        rel = binary(add, ["<", "<=", ">", ">="]), eq = binary(rel, ["=", "!="]),
        and = binary(eq, ["and"]), or = binary(and, ["or"]);
      function path() {
        var last = "", steps = 0, abs = !!isOp(["/"]);
        if (abs) p++;
        for (;;) {
          var t = peek();
          if (t.kind === "name") last = t.text;
          else if (t.kind === "op" && (t.text === "." || t.text === "..")) { if (t.text === "..") last = ""; }
          else if (steps === 0) fail("unexpected \"" + t.text + "\" at character " + (t.pos + 1));
          else fail("path-ends-in-slash@" + (t.pos + 1));
          p++; steps++;
          if (!isOp(["/"])) break;
          p++;
        }
        if (!last) {
          if (steps === 1 && toks[p - 1].text === ".") return { op: "cur" };
          fail("path \"..\" names no question");
        }
        // A bare name: in a choice filter, the choice's column.
        return { op: "ref", name: last, col: steps === 1 && !abs };
      }
      function primary() {
        var t = peek();
        if (t.kind === "num") { p++; return { op: "num", num: t.num }; }
        if (t.kind === "str") { p++; return { op: "str", str: t.text }; }
        if (t.kind === "ref") { p++; return { op: "ref", name: t.text }; }
        if (t.kind === "name") {
          if (toks[p + 1].kind === "op" && toks[p + 1].text === "(") {
            enter();
            p += 2;
            var n = { op: "call", name: t.text, args: [] };
            if (isOp([")"])) { p++; depth--; return n; }
            for (;;) {
              n.args.push(or());
              if (isOp([","])) { p++; continue; }
              if (!isOp([")"])) fail("expected-comma-or-paren@" + (peek().pos + 1));
              p++;
              depth--;
              return n;
            }
          }
          return path();
        }
        if (t.kind === "op" && t.text === "(") {
          enter();
          p++;
          var e = or();
          if (!isOp([")"])) fail("expected-paren@" + (peek().pos + 1));
          p++;
          depth--;
          return e;
        }
        if (t.kind === "op" && (t.text === "." || t.text === ".." || t.text === "/")) return path();
        if (t.kind === "end") fail("value-expected@end");
        fail("unexpected \"" + t.text + "\" at character " + (t.pos + 1));
      }
      var root = or();
      if (peek().kind !== "end") fail("unexpected \"" + peek().text + "\" at character " + (peek().pos + 1));
      return root;
    }

    function Nodes(a) { this.nodes = a; }
    function isNodes(v) { return v instanceof Nodes; }
    function fmt(x) {
      if (isNaN(x)) return "NaN";
      if (x === Infinity) return "Infinity";
      if (x === -Infinity) return "-Infinity";
      if (Number.isInteger(x) && Math.abs(x) < 1e21) return x === 0 ? "0" : x.toFixed(0);
      return String(x);
    }
    function str(v) {
      if (typeof v === "boolean") return v ? "true" : "false";
      if (typeof v === "number") return fmt(v);
      if (isNodes(v)) return v.nodes.length ? v.nodes[0] : "";
      return v;
    }
    function bool(v) {
      if (typeof v === "boolean") return v;
      if (typeof v === "number") return v !== 0 && !isNaN(v);
      if (isNodes(v)) return v.nodes.length > 0;
      return v !== "";
    }
    // A number from text as XPath's number() reads it; a date YYYY-MM-DD
    // is its days since 1970-01-01, as ODK's engines take it.
    function strNum(s) {
      s = String(s).trim();
      if (/^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(s)) return parseFloat(s);
      var m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
      if (m) {
        var t = Date.UTC(+m[1], +m[2] - 1, +m[3]), d = new Date(t);
        if (d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3]) return Math.floor(t / 86400000);
      }
      return NaN;
    }
    function num(v) {
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "number") return v;
      return strNum(str(v));
    }
    function compare(op, l, r) {
      var i, j;
      if (isNodes(l) && isNodes(r)) {
        for (i = 0; i < l.nodes.length; i++) for (j = 0; j < r.nodes.length; j++) if (compare(op, l.nodes[i], r.nodes[j])) return true;
        return false;
      }
      if (isNodes(l)) {
        if (typeof r === "boolean") return compare(op, bool(l), r);
        for (i = 0; i < l.nodes.length; i++) if (compare(op, l.nodes[i], r)) return true;
        return false;
      }
      if (isNodes(r)) {
        if (typeof l === "boolean") return compare(op, l, bool(r));
        for (i = 0; i < r.nodes.length; i++) if (compare(op, l, r.nodes[i])) return true;
        return false;
      }
      if (op === "=" || op === "!=") {
        var eq;
        if (typeof l === "boolean" || typeof r === "boolean") eq = bool(l) === bool(r);
        else if (typeof l === "number" || typeof r === "number") eq = num(l) === num(r);
        else eq = str(l) === str(r);
        return eq === (op === "=");
      }
      var a = num(l), b = num(r);
      if (op === "<") return a < b;
      if (op === "<=") return a <= b;
      if (op === ">") return a > b;
      return a >= b;
    }
    function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = "0" + n; return n; }
    function dateOf(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
    function tokens(v) { return str(v).split(/\s+/).filter(function (x) { return x !== ""; }); }
    function roundHalfUp(x) { return Math.floor(x + 0.5); }

    function call(n, env) {
      var args = n.args.map(function (a) { return ev(a, env); }), name = n.name;
      function want(lo, hi) {
        if (args.length < lo || args.length > hi) {
          fail(name + "() takes " + (lo === hi ? lo : lo + " to " + hi) + " argument(s), not " + args.length);
        }
      }
      function str0() { return args.length ? str(args[0]) : env.current; }
      var x, i, s;
      switch (name) {
        case "true": case "false": want(0, 0); return name === "true";
        case "not": case "boolean": want(1, 1); return bool(args[0]) === (name === "boolean");
        case "number": want(0, 1); return args.length ? num(args[0]) : strNum(env.current);
        case "string": want(0, 1); return str0();
        case "int": want(1, 1); return Math.trunc(num(args[0]));
        case "round":
          want(1, 2); x = num(args[0]);
          if (args.length === 1) return roundHalfUp(x);
          var pw = Math.pow(10, Math.trunc(num(args[1])));
          return (x < 0 || Object.is(x, -0) ? -1 : 1) * roundHalfUp(Math.abs(x) * pw) / pw;
        case "floor": want(1, 1); return Math.floor(num(args[0]));
        case "ceiling": want(1, 1); return Math.ceil(num(args[0]));
        case "abs": want(1, 1); return Math.abs(num(args[0]));
        case "pow": want(2, 2); return Math.pow(num(args[0]), num(args[1]));
        case "concat": return args.map(str).join("");
        case "string-length": want(0, 1); return Array.from(str0()).length;
        case "normalize-space": want(0, 1); return str0().split(/\s+/).filter(function (t) { return t; }).join(" ");
        case "contains": want(2, 2); return str(args[0]).indexOf(str(args[1])) >= 0;
        case "starts-with": want(2, 2); return str(args[0]).slice(0, str(args[1]).length) === str(args[1]);
        case "ends-with": want(2, 2); s = str(args[1]); return s === "" || str(args[0]).slice(-s.length) === s;
        case "substr":
          want(2, 3);
          var rs = Array.from(str(args[0]));
          var clamp = function (v) { return isNaN(v) || v < 0 ? 0 : v > rs.length ? rs.length : Math.trunc(v); };
          var from = clamp(num(args[1])), to = args.length === 3 ? clamp(num(args[2])) : rs.length;
          return from >= to ? "" : rs.slice(from, to).join("");
        case "selected": want(2, 2); return tokens(args[0]).indexOf(str(args[1]).trim()) >= 0;
        case "count-selected": want(1, 1); return tokens(args[0]).length;
        case "selected-at":
          want(2, 2); var ts = tokens(args[0]); i = num(args[1]);
          return isNaN(i) || i < 0 || Math.trunc(i) >= ts.length ? "" : ts[Math.trunc(i)];
        case "count": case "sum":
          want(1, 1);
          if (!isNodes(args[0])) fail(name + "() takes a reference to questions");
          if (name === "count") return args[0].nodes.length;
          return args[0].nodes.reduce(function (a, v) { return a + strNum(v); }, 0);
        case "min": case "max":
          if (!args.length) fail(name + "() takes at least one argument");
          var xs = [];
          args.forEach(function (a) { if (isNodes(a)) a.nodes.forEach(function (v) { xs.push(strNum(v)); }); else xs.push(num(a)); });
          if (!xs.length || xs.some(isNaN)) return NaN;
          return name === "min" ? Math.min.apply(null, xs) : Math.max.apply(null, xs);
        case "if": want(3, 3); return bool(args[0]) ? args[1] : args[2];
        case "coalesce": want(2, 2); s = str(args[0]); return s !== "" ? s : str(args[1]);
        case "join":
          if (!args.length) fail("join() takes a separator and values");
          var parts = [];
          args.slice(1).forEach(function (a) { if (isNodes(a)) parts = parts.concat(a.nodes); else parts.push(str(a)); });
          return parts.join(str(args[0]));
        case "regex":
          want(2, 2);
          var re;
          try { re = new RegExp(str(args[1])); } catch (e) { fail("regex(): " + e.message); }
          return re.test(str(args[0]));
        case "today": want(0, 0); return dateOf(env.now);
        case "now":
          want(0, 0);
          var d = env.now, off = -d.getTimezoneOffset();
          return dateOf(d) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3) +
            (off < 0 ? "-" : "+") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
        case "once": want(1, 1); return env.current !== "" ? env.current : args[0];
        case "date":
          want(1, 1);
          if (typeof args[0] === "string") return args[0];
          x = num(args[0]);
          if (!isFinite(x)) return "";
          return new Date(Math.floor(x) * 86400000).toISOString().slice(0, 10);
      }
      fail("function " + name + "() is not supported");
    }
    function ev(n, env) {
      switch (n.op) {
        case "num": return n.num;
        case "str": return n.str;
        case "cur": return new Nodes([env.current]);
        case "ref":
          if (n.col && env.column) {
            var c = env.column(n.name);
            if (c !== undefined) return new Nodes([c]);
          }
          return new Nodes(env.lookup ? env.lookup(n.name) || [] : []);
        case "neg": return -num(ev(n.args[0], env));
        case "call": return call(n, env);
        case "and": case "or":
          var l = ev(n.args[0], env);
          if (bool(l) === (n.op === "or")) return n.op === "or";
          return bool(ev(n.args[1], env));
      }
      var a = ev(n.args[0], env), b = ev(n.args[1], env);
      switch (n.op) {
        case "+": return num(a) + num(b);
        case "-": return num(a) - num(b);
        case "*": return num(a) * num(b);
        case "div": return num(a) / num(b);
        case "mod": return num(a) % num(b);
      }
      return compare(n.op, a, b);
    }
    var cache = {};
    // evaluate parses (once per text) and evaluates an expression; env
    // has lookup(name) -> node values, current (the value of "."), now.
    function evaluate(src, env) {
      var tree = cache[src];
      if (!tree) { tree = parse(src); cache[src] = tree; }
      return ev(tree, { lookup: env.lookup, column: env.column, current: env.current === undefined ? "" : String(env.current), now: env.now || new Date() });
    }
    return { parse: parse, evaluate: evaluate, string: str, bool: bool, Error: XPathError };
  })();
  // Under Node (the evaluator's test) there is no page: export and stop.
  if (typeof document === "undefined") {
    if (typeof module === "object" && module.exports) module.exports = XPath;
    return;
  }

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

  // answerOf reads one question's answer (an element with data-q);
  // undefined when it has none.
  function answerOf(el) {
    var type = el.getAttribute("data-type");
    if (type === "protocol") {
      var items = {}, any = false;
      el.querySelectorAll("input[data-item]").forEach(function (inp) {
        if (inp.value !== "") { items[inp.getAttribute("data-item")] = parseInt(inp.value, 10); any = true; }
      });
      return any ? items : undefined;
    }
    if (type === "select_multiple") {
      var vals = [];
      el.querySelectorAll("input:checked").forEach(function (c) { if (!c.closest("label").hidden) vals.push(c.value); });
      return vals.length ? vals : undefined;
    }
    if (type === "acknowledge") return el.querySelector("input:checked") ? "OK" : undefined;
    if (el.querySelector("input[type=radio]")) {
      var checked = el.querySelector("input[type=radio]:checked");
      if (!checked || checked.closest("label").hidden) return undefined;
      return type === "yes_no" ? checked.value === "yes" : checked.value;
    }
    var inp = el.querySelector("input, textarea");
    if (!inp || inp.value === "") return undefined;
    if (type === "integer") return parseInt(inp.value, 10);
    if (type === "decimal" || type === "range") return parseFloat(inp.value);
    return inp.value;
  }

  // answers reads the answers of the fields directly in scope (the form,
  // or one instance of a repeat): hidden (irrelevant) fields are left out,
  // as ODK clears non-relevant values, and each repeat gives an array of
  // its instances' answers. Helpers (the region and district of the
  // station cascade) only narrow a choice: they are read for the
  // conditions (all) but not sent.
  function answers(scope, all) {
    var out = {};
    scope.querySelectorAll("[data-q]").forEach(function (el) {
      if (el.closest("[data-repeat]") !== scope.closest("[data-repeat]")) return;
      if (!all && el.hasAttribute("data-helper")) return;
      var field = el.closest("[data-field]");
      if (field && field.hidden) return;
      var v = answerOf(el);
      if (v !== undefined) out[el.getAttribute("data-q")] = v;
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

  // text is an answer as XPath reads it: a node's text, as the server's
  // evaluator (form.answerText) reads a stored answer.
  function text(v) {
    if (v === undefined || v === null) return "";
    if (v === true) return "yes";
    if (v === false) return "no";
    if (Array.isArray(v)) return v.join(" ");
    if (typeof v === "object") return "";
    return String(v);
  }

  // snapshot reads the answers once for one pass of update (a station
  // list has thousands of choices, each evaluating its filter): the
  // form's by question id, each repeat instance's on demand, and which
  // question sits in which repeat.
  function snapshot(form) {
    var snap = { top: answers(form, true), ids: {}, inRepeat: {}, repeats: {}, items: new Map() };
    form.querySelectorAll("[data-field]").forEach(function (el) {
      var id = el.getAttribute("data-field"), rep = el.closest("[data-repeat]");
      snap.ids[id] = true;
      if (rep) snap.inRepeat[id] = rep;
    });
    form.querySelectorAll("[data-repeat]").forEach(function (rep) { snap.repeats[rep.getAttribute("data-repeat")] = rep; });
    snap.item = function (item) {
      if (!snap.items.has(item)) snap.items.set(item, answers(item, true));
      return snap.items.get(item);
    };
    // lookup(el) resolves ${name} where el sits: a question of the same
    // repeat instance, all instances of a repeat's question (read from
    // outside it), a repeat's instances, or a question of the form.
    snap.lookup = function (el) {
      var item = el.closest(".rep-item");
      return function (name) {
        var rep = snap.inRepeat[name];
        if (rep && item && item.closest("[data-repeat]") === rep) return [text(snap.item(item)[name])];
        if (rep) return Array.prototype.map.call(rep.querySelectorAll(".rep-item"), function (it) { return text(snap.item(it)[name]); });
        if (snap.repeats[name]) return Array.prototype.map.call(snap.repeats[name].querySelectorAll(".rep-item"), function () { return ""; });
        if (snap.ids[name]) return [text(snap.top[name])];
        return [];
      };
    };
    return snap;
  }

  // evalAt evaluates an expression for the field el; undefined when it
  // cannot (then, as on the server, it does not decide).
  function evalAt(expr, lookup, current, column) {
    try {
      return XPath.evaluate(expr, { lookup: lookup, column: column, current: current, now: new Date() });
    } catch (e) {
      if (e instanceof XPath.Error) return undefined;
      throw e;
    }
  }

  // External choice lists (a large election's stations, more than the
  // page can carry): the CSV that the OpenRosa manifest serves, fetched
  // when the page opens and kept in the offline cache for when there is
  // no network. Only the choices the filter shows are put in the page.
  var itemsets = new Map(); // fieldset -> rows (objects by CSV column)
  var MAX_SHOWN = 5000;
  var shownKeys = new WeakMap(); // fieldset -> the choices it shows
  function parseCSV(textIn) {
    var rows = [], row = [], f = "", quoted = false, i, c;
    for (i = 0; i < textIn.length; i++) {
      c = textIn[i];
      if (quoted) {
        if (c === "\"") { if (textIn[i + 1] === "\"") { f += "\""; i++; } else quoted = false; } else f += c;
      } else if (c === "\"") quoted = true;
      else if (c === ",") { row.push(f); f = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && textIn[i + 1] === "\n") i++;
        row.push(f); rows.push(row); row = []; f = "";
      } else f += c;
    }
    if (f !== "" || row.length) { row.push(f); rows.push(row); }
    var head = rows.shift() || [];
    return rows.map(function (r) {
      var o = {};
      head.forEach(function (h, k) { o[h] = r[k] === undefined ? "" : r[k]; });
      return o;
    });
  }
  // cacheMedia keeps the form's pictures (media::image, served with the
  // OpenRosa manifest) in the offline cache as the station lists are, so
  // that the form shows them with no network; the service worker answers
  // from that cache when a fetch fails.
  function cacheMedia(form) {
    if (!window.caches) return;
    var seen = {};
    form.querySelectorAll("img[data-media]").forEach(function (img) {
      var url = img.getAttribute("src");
      if (!url || seen[url]) return;
      seen[url] = true;
      fetch(url, { credentials: "same-origin" }).then(function (res) {
        if (!res.ok) return;
        return caches.open("vigil-observe-v1").then(function (c) { return c.put(url, res); });
      }).catch(function () {});
    });
  }
  function loadItemsets(form) {
    form.querySelectorAll("[data-itemset]").forEach(function (fs) {
      var url = fs.getAttribute("data-itemset");
      fetch(url, { credentials: "same-origin" }).then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        if (window.caches) {
          var copy = res.clone();
          caches.open("vigil-observe-v1").then(function (c) { return c.put(url, copy); }).catch(function () {});
        }
        return res.text();
      }).catch(function () {
        return window.caches ? caches.match(url).then(function (hit) { return hit ? hit.text() : ""; }) : "";
      }).then(function (t) {
        itemsets.set(fs, parseCSV(t || ""));
        update(form);
      });
    });
  }
  // showItemset puts in the page the choices of an external list whose
  // filter holds (the choice's columns read as names).
  function showItemset(fs, rows, snap) {
    var expr = fs.getAttribute("data-filter"), base = snap.lookup(fs), shown = [];
    rows.forEach(function (row) {
      if (shown.length >= MAX_SHOWN) return;
      var r = expr ? evalAt(expr, base, "", function (name) {
        return Object.prototype.hasOwnProperty.call(row, name) ? row[name] : undefined;
      }) : true;
      if (r === undefined || XPath.bool(r)) shown.push(row);
    });
    var key = shown.map(function (r) { return r.name + "\u0001" + (r.parent || ""); }).join("\u0002");
    if (shownKeys.get(fs) === key) return;
    shownKeys.set(fs, key);
    fs.querySelectorAll("label.choice").forEach(function (l) { l.remove(); });
    var id = fs.getAttribute("data-q");
    shown.forEach(function (row) {
      var lab = document.createElement("label"), inp = document.createElement("input");
      lab.className = "choice";
      inp.type = "radio"; inp.name = id; inp.value = row.name;
      lab.appendChild(inp);
      lab.appendChild(document.createTextNode(" " + row.label));
      fs.appendChild(lab);
    });
  }

  // update shows the fields whose relevance holds, in filtered selects
  // the choices whose filter holds (the choice's columns read as names:
  // cascading selects), fills in calculations, and copies the station's
  // number from the cascade.
  function update(form) {
    for (var pass = 0; pass < 3; pass++) { // conditions on conditional answers
      var snap = snapshot(form);
      form.querySelectorAll("[data-rel]").forEach(function (el) {
        var look = snap.lookup(el);
        el.hidden = !JSON.parse(el.getAttribute("data-rel")).every(function (e) {
          var r = evalAt(e, look, "");
          return r === undefined || XPath.bool(r);
        });
      });
      itemsets.forEach(function (rows, fs) { showItemset(fs, rows, snap); });
      form.querySelectorAll("[data-filter]").forEach(function (el) {
        var expr = el.getAttribute("data-filter"), base = snap.lookup(el);
        el.querySelectorAll("label[data-extra]").forEach(function (lab) {
          var extra = JSON.parse(lab.getAttribute("data-extra") || "null") || {};
          var inp = lab.querySelector("input");
          var r = evalAt(expr, base, "", function (name) {
            if (Object.prototype.hasOwnProperty.call(extra, name)) return extra[name];
            if (name === "name") return inp.value;
            return undefined;
          });
          var show = r === undefined || XPath.bool(r);
          lab.hidden = !show;
          if (!show) inp.checked = false;
        });
      });
      form.querySelectorAll("input[data-calc]").forEach(function (inp) {
        var field = inp.closest("[data-field]");
        if (field && field.hidden) { inp.value = ""; return; }
        var r = evalAt(inp.getAttribute("data-calc"), snap.lookup(inp), inp.value);
        // NaN (a calculation over an unanswered question) is no value,
        // as on the server and in ODK's engine.
        if (r !== undefined) inp.value = typeof r === "number" && isNaN(r) ? "" : XPath.string(r);
      });
      // A number filled in from a choice (the station from the cascade).
      form.querySelectorAll("input[data-copy]").forEach(function (inp) {
        var v = snap.lookup(inp)(inp.getAttribute("data-copy"));
        if (v.length && v[0] !== "") inp.value = v[0];
      });
    }
  }

  // checkConstraints stops a send that the form refuses, with the form's
  // message: a number outside its bounds, a constraint that does not hold
  // (constraint_message), a required question unanswered under its
  // condition (required_message). True when all is well.
  function checkConstraints(form) {
    var bad = null, snap = snapshot(form);
    form.querySelectorAll("[data-field]").forEach(function (field) {
      if (bad || field.hidden) return;
      var el = field.querySelector("[data-q]");
      var v = el ? answerOf(el) : undefined;
      var look = snap.lookup(field), r;
      var focus = (el && el.querySelector("input, textarea")) || field;
      var num = field.querySelector("input[type=number]");
      if (num && num.value !== "" && !num.checkValidity()) {
        bad = { el: num, msg: field.getAttribute("data-cmsg") || num.validationMessage };
        return;
      }
      if (v === undefined && field.hasAttribute("data-req")) {
        r = evalAt(field.getAttribute("data-req"), look, "");
        if (r !== undefined && XPath.bool(r)) {
          var lab = field.querySelector("legend, label");
          bad = { el: focus, msg: field.getAttribute("data-rmsg") || ((lab ? lab.textContent.trim() : el.getAttribute("data-q")) + " *") };
        }
        return;
      }
      if (v !== undefined && field.hasAttribute("data-constraint")) {
        r = evalAt(field.getAttribute("data-constraint"), look, text(v));
        if (r !== undefined && !XPath.bool(r)) bad = { el: focus, msg: field.getAttribute("data-cmsg") || field.getAttribute("data-constraint") };
      }
    });
    if (bad) {
      document.getElementById("send-status").textContent = bad.msg;
      if (bad.el.focus) bad.el.focus();
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
    loadItemsets(form);
    cacheMedia(form);
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
