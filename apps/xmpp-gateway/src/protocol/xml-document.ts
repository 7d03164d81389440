import { Parser, type Element } from '@xmpp/xml';

/** Thrown from the parser's `end` handler: nothing after the root element is read. */
class Done extends Error {}
const DONE = new Done('the root element ended');

/**
 * One XML document (ltx: no DTD, no external entities), or null. Parsing stops where the root
 * element ends: ltx handles text outside the root in quadratic time (400 kB of trailing or
 * leading whitespace took seconds), so leading whitespace is trimmed and what follows the root
 * is never read.
 */
export function parseDocument(text: string): Element | null {
  const doc = text.trimStart();
  if (!doc.startsWith('<')) return null;
  const parser = new Parser();
  let root: Element | null = null;
  let failed = false;
  let ended = false;
  parser.on('start', (el: Element) => (root = el));
  parser.on('element', (el: Element) => root?.append(el));
  parser.on('end', () => {
    ended = true;
    throw DONE;
  });
  parser.on('error', () => (failed = true));
  try {
    parser.write(doc);
  } catch (err) {
    if (err !== DONE) return null;
  }
  return failed || !ended ? null : root;
}
