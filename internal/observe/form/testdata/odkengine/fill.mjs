// fill.mjs loads XForms in ODK's own form engine (@getodk/xforms-engine,
// the engine of ODK Web Forms), sets answers, and prints the instance the
// engine serialises, for TestODKEngineAgrees.
//
// Usage: node fill.mjs MODULES_DIR < cases.json > results.json
// MODULES_DIR is a node_modules directory holding @getodk/xforms-engine and
// jsdom (.ci/run installs them, pinned, into $NPMTOOLS/node_modules).
// cases.json: [{"name": …, "xform": "<h:html …>", "answers": [[ref, value], …]}]
// with refs such as "/data/station" in the order to set them (a cascade's
// parent before its child); a select_multiple's value is space-separated.
// results.json: [{"name": …, "xml": "<data …>", "error": "…"}].
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const modules = process.argv[2];
if (!modules) {
  console.error('usage: node fill.mjs MODULES_DIR < cases.json');
  process.exit(2);
}
const req = createRequire(join(modules, 'noop.js'));
const enginePath = req.resolve('@getodk/xforms-engine');
// The engine's XPath parser (tree-sitter compiled by Emscripten) takes Node
// for CommonJS and looks for these; the engine itself needs a DOM, which
// it gets from jsdom under Node, as its own Node tests do.
globalThis.require = req;
globalThis.__dirname = dirname(enginePath);
globalThis.__filename = enginePath;
const { JSDOM } = req('jsdom');
const { window } = new JSDOM('');
for (const k of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'NodeFilter', 'XPathResult', 'document']) {
  globalThis[k] = window[k];
}
const { createInstance } = await import(pathToFileURL(enginePath).href);

function find(node, ref) {
  if (node.currentState.reference === ref) return node;
  for (const c of node.currentState.children ?? []) {
    const n = find(c, ref);
    if (n) return n;
  }
  return null;
}

function set(node, value) {
  switch (node.nodeType) {
    case 'select':
      if (node.selectType === 'select') return node.selectValues(value.split(' ').filter(Boolean));
      if (!node.getValueOption(value)) {
        throw new Error(`${node.currentState.reference}: ${value} is not among the choices offered (${node.currentState.valueOptions.map((o) => o.value).join(' ')})`);
      }
      return node.selectValue(value);
    case 'input':
    case 'range':
      try {
        return node.setValue(value);
      } catch (e) {
        return node.setValue(Number(value));
      }
    default:
      throw new Error(`cannot answer a ${node.nodeType} node`);
  }
}

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const c of cases) {
  try {
    const inst = await createInstance(c.xform, {
      form: { fetchFormAttachment: async (u) => { throw new Error(`no attachment ${u}`); } },
    });
    const root = inst.root;
    for (const [ref, value] of c.answers) {
      const node = find(root, ref);
      if (!node) throw new Error(`no node ${ref}`);
      set(node, value);
    }
    out.push({ name: c.name, xml: root.instanceState.instanceXML });
  } catch (e) {
    out.push({ name: c.name, error: String(e && e.stack || e) });
  }
}
process.stdout.write(JSON.stringify(out));
