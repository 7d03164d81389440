import { describe, expect, it } from 'vitest';
import { inlineId, inlineName, shownId, shownName } from './names.js';
import { displayName } from './torrents.js';

const FSI = '\u2068';
const PDI = '\u2069';
const A = 'a'.repeat(40);

describe('names as the web UI shows them', () => {
  it('a bidi override cannot disguise an extension', () => {
    expect(shownName('rlo\u202Egpj.exe')).toBe('rlogpj.exe');
    expect(inlineName('rlo\u202Egpj.exe')).toBe('rlogpj.exe');
    expect(displayName({ hash: A, name: 'holiday\u2067.jpg\u2069.exe' })).toBe('holiday.jpg.exe');
  });

  it('drops invisible characters; a name with nothing visible gets a placeholder', () => {
    expect(shownName('zero\u200Bwidth\u00AD\uFEFF')).toBe('zerowidth');
    expect(shownName('\u200B\u202E ')).toBe('(no name)');
    expect(displayName({ hash: A, name: '\u3164' })).toBe('(no name)');
    expect(displayName({ hash: A, name: null })).toMatch(/^aaaaaaaaaaaa… \(waiting/);
  });

  it('keeps Arabic and Hebrew names, isolated inside plain strings (status messages, labels)', () => {
    const persian = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.pdf';
    expect(shownName(persian)).toBe(persian);
    expect(inlineName(persian)).toBe(`${FSI}${persian}${PDI}`);
    expect(`Download ${inlineName('\u05E9\u05DC\u05D5\u05DD')}`).toBe(
      `Download ${FSI}\u05E9\u05DC\u05D5\u05DD${PDI}`,
    );
    // Left-to-right names are left as they are (labels the browser tests look for stay the same).
    expect(inlineName('holiday.iso')).toBe('holiday.iso');
  });

  it('keeps emoji sequences whole', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} 2024';
    expect(shownName(family)).toBe(family);
  });

  it('shows identifiers whole, their hidden characters visible', () => {
    expect(shownId('alice\u200B@example.org')).toBe('alice<U+200B>@example.org');
    expect(inlineId('alice@example.org')).toBe('alice@example.org');
    expect(inlineId('\u0639\u0644\u064A@example.org')).toBe(`${FSI}\u0639\u0644\u064A@example.org${PDI}`);
  });
});
