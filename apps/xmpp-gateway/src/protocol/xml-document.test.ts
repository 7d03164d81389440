import { describe, expect, it } from 'vitest';
import { parseDocument } from './xml-document.js';

describe('parseDocument', () => {
  it('reads one document, nothing after its root', () => {
    expect(parseDocument('  <a x="1"><b/>text</a>')?.toString()).toBe('<a x="1"><b/>text</a>');
    expect(parseDocument('<a/>')?.toString()).toBe('<a/>');
    expect(parseDocument('<a><b></a>')).toBeNull();
    expect(parseDocument('<a>')).toBeNull();
    expect(parseDocument('junk<a/>')).toBeNull();
    expect(parseDocument('')).toBeNull();
  });

  it('does not spend quadratic time on text outside the root (hostile padding)', () => {
    const pad = ' '.repeat(2_000_000);
    const started = performance.now();
    expect(parseDocument(`${pad}<a/>${pad}`)?.toString()).toBe('<a/>');
    expect(parseDocument(`<a/>${'x'.repeat(2_000_000)}`)?.toString()).toBe('<a/>');
    // Quadratic, this took minutes; linear, well under a second even on a busy machine.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
