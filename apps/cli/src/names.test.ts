import { describe, expect, it } from 'vitest';
import { columns, table } from './format.js';
import { shortName, shownId, shownName } from './names.js';

const FSI = '\u2068';
const PDI = '\u2069';

describe('names on the terminal (@bitween/safe-text)', () => {
  it('drops bidi overrides, invisible characters and terminal controls from names', () => {
    expect(shownName('rlo\u202Egpj.exe')).toBe('rlogpj.exe');
    expect(shownName('zero\u200Bwidth\u2060.txt')).toBe('zerowidth.txt');
    expect(shownName('\u001B[2J\u001B]0;pwned\u0007title')).toBe('\uFFFD[2J\uFFFD]0;pwned\uFFFDtitle');
    expect(shownName('csi\u009B31m')).toBe('csi\uFFFD31m');
  });

  it('gives a placeholder when nothing is left, or no name yet', () => {
    expect(shownName('\u202E\u200B')).toBe('(no name)');
    expect(shownName(null, '(metadata pending)')).toBe('(metadata pending)');
    expect(shownName(null, '')).toBe('');
  });

  it('isolates right-to-left names, leaves others as they are', () => {
    expect(shownName('\u05E9\u05DC\u05D5\u05DD.txt')).toBe(`${FSI}\u05E9\u05DC\u05D5\u05DD.txt${PDI}`);
    expect(shownName('\u0645\u0644\u0641\u202E.zip')).toBe(`${FSI}\u0645\u0644\u0641.zip${PDI}`);
    expect(shownName('holiday.iso')).toBe('holiday.iso');
    expect(shownName('\u{1F468}\u200D\u{1F469}\u200D\u{1F467}')).toBe(
      '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
    );
  });

  it('shows identifiers whole, hidden characters as <U+XXXX>', () => {
    expect(shownId('alice\u200B@example.org')).toBe('alice<U+200B>@example.org');
    expect(shownId('bob@example.org')).toBe('bob@example.org');
  });

  it('shortens names by characters, cleaned first', () => {
    expect(shortName('a\u202E'.repeat(50), 10)).toBe(`${'a'.repeat(9)}…`);
    expect(shortName('\u{1F600}'.repeat(5), 3)).toBe('\u{1F600}\u{1F600}…');
    expect(shortName(null, 40, 'abcdef')).toBe('abcdef');
  });
});

describe('table', () => {
  it('aligns columns by terminal width: isolates and marks take none, wide characters two', () => {
    expect(columns(`${FSI}\u05E9\u05DC\u05D5\u05DD${PDI}`)).toBe(4);
    expect(columns('Cafe\u0301')).toBe(4);
    expect(columns('\u5468\u672B')).toBe(4);
    const out = table(
      ['NAME', 'FROM'],
      [
        [shownName('\u05E9\u05DC\u05D5\u05DD'), 'a@x'],
        [shownName('\u5468\u672B'), 'b@x'],
        ['plain', 'c@x'],
      ],
    ).split('\n');
    expect(out.map((l) => columns(l.slice(0, l.lastIndexOf('  ') + 2)))).toEqual([7, 7, 7, 7]);
  });
});
