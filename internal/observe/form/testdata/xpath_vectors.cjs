// Runs observe.js's XPath evaluator on the shared vectors (xpath_test.go runs it):
// node xpath_vectors.cjs observe.js xpath_vectors.json
const XP = require(process.argv[2]);
const vs = JSON.parse(require("fs").readFileSync(process.argv[3], "utf8"));
const now = new Date(vs.now);
let bad = 0;
for (const v of vs.vectors) {
  let got, err = null;
  try { got = XP.evaluate(v.expr, { lookup: (n) => (v.answers || {})[n], column: v.columns ? (n) => v.columns[n] : undefined, current: v.current || "", now }); } catch (e) { err = e; }
  if (err && !(err instanceof XP.Error)) { console.log(v.expr + ": not an XPath error: " + err); bad++; continue; }
  if (v.error) { if (!err) { console.log(v.expr + ": got " + XP.string(got) + ", want an error"); bad++; } continue; }
  if (err) { console.log(v.expr + ": " + err.message); bad++; continue; }
  if (v.want !== undefined && XP.string(got) !== v.want) { console.log(v.expr + ": got " + JSON.stringify(XP.string(got)) + ", want " + JSON.stringify(v.want)); bad++; }
  if (v.bool !== undefined && XP.bool(got) !== v.bool) { console.log(v.expr + ": got " + XP.bool(got) + " as a condition, want " + v.bool); bad++; }
}
console.log(vs.vectors.length + " vectors, " + bad + " disagree");
