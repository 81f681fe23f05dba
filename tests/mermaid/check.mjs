// Reads a Mermaid diagram on stdin and parses it with Mermaid itself (the library GitHub
// renders with). Prints the detected diagram type; exits 1 with the parse error otherwise.
// Mermaid wants a DOM even to parse (DOMPurify), so jsdom provides one.
import { JSDOM } from 'jsdom';
import { readFileSync } from 'node:fs';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
const text = readFileSync(0, 'utf8');
try {
  const r = await mermaid.parse(text);
  console.log(JSON.stringify(r));
} catch (e) {
  console.error(String(e?.message ?? e));
  process.exit(1);
}
