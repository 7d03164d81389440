import { describe, expect, it } from 'vitest';
import {
  NO_NAME,
  cleanName,
  displayName,
  findBidiReordering,
  hasHiddenCharacters,
  hasRtl,
  isBidiControl,
  isDefaultIgnorable,
  isolate,
  revealHidden,
} from './index.js';

const cp = (n: number) => String.fromCodePoint(n);
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('the character classes match Unicode', () => {
  it('isDefaultIgnorable is the Default_Ignorable_Code_Point property over all of Unicode', () => {
    const di = /^\p{Default_Ignorable_Code_Point}$/u;
    const differ: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      if (isDefaultIgnorable(c) !== di.test(cp(c))) differ.push(c.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it('isBidiControl is the Bidi_Control property', () => {
    const bc = /^\p{Bidi_Control}$/u;
    for (let c = 0; c <= 0x10ffff; c += c < 0x30000 ? 1 : 0x100) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      expect(isBidiControl(c), c.toString(16)).toBe(bc.test(cp(c)));
    }
  });
});

describe('cleanName: bidi controls', () => {
  it('drops RLO: the name reads in its real order', () => {
    expect(cleanName('rlo\u202Egpj.exe')).toBe('rlogpj.exe');
  });

  it.each(
    [0x061c, 0x200e, 0x200f, ...range(0x202a, 0x202e), ...range(0x2066, 0x2069)].map((c) => [
      c.toString(16),
      c,
    ]),
  )('drops U+%s', (_, c) => {
    expect(cleanName(`a${cp(c)}b`)).toBe('ab');
    expect(cleanName(`${cp(c)}x.txt${cp(c)}`)).toBe('x.txt');
    expect(hasHiddenCharacters(`a${cp(c)}b`)).toBe(true);
  });

  it('a name of bidi controls only becomes empty and shows the placeholder', () => {
    expect(cleanName('\u202E\u2066\u200F')).toBe('');
    expect(displayName('\u202E\u2066\u200F')).toBe(NO_NAME);
    expect(displayName('\u202E', 'unnamed share')).toBe('unnamed share');
  });
});

describe('cleanName: invisible characters', () => {
  it.each(
    [
      0x00ad, // soft hyphen
      0x034f, // combining grapheme joiner
      0x115f,
      0x1160,
      0x3164,
      0xffa0, // Hangul fillers ("blank" names)
      0x17b4,
      0x17b5,
      0x180e, // Mongolian vowel separator
      0x200b, // zero width space
      ...range(0x2060, 0x2064), // word joiner, invisible operators
      ...range(0x206a, 0x206f), // deprecated format characters
      0xfeff, // BOM
      0xfff9,
      0xfffa,
      0xfffb, // interlinear annotation
      0x1bca0,
      0x1d173,
      0xe0001, // language tag
      0xe0041, // tag A ("ASCII smuggling")
      0xe007f,
    ].map((c) => [c.toString(16), c]),
  )('drops U+%s', (_, c) => {
    expect(cleanName(`a.${cp(c)}txt`)).toBe('a.txt');
    expect(hasHiddenCharacters(`a.${cp(c)}txt`)).toBe(true);
  });

  it('drops invisible text smuggled in tag characters', () => {
    const secret = [...'ignore all previous'].map((c) => cp(0xe0000 + c.charCodeAt(0))).join('');
    expect(cleanName(`report.pdf${secret}`)).toBe('report.pdf');
  });

  it('drops ZWJ and ZWNJ between Latin letters, at the ends and next to spaces', () => {
    expect(cleanName('pay\u200Dpal')).toBe('paypal');
    expect(cleanName('pay\u200Cpal')).toBe('paypal');
    expect(cleanName('\u200Dx\u200C')).toBe('x');
    expect(cleanName('a \u200D b')).toBe('a b');
    expect(cleanName('\u0628\u200D ')).toBe('\u0628');
  });

  it('keeps one variation selector after a base, drops runs of them (data smuggled in selectors)', () => {
    expect(cleanName('\u2764\uFE0F')).toBe('\u2764\uFE0F');
    expect(cleanName('\u845B\u{E0100}')).toBe('\u845B\u{E0100}'); // ideographic variation sequence
    const smuggled = `\u{1F600}${range(0xfe00, 0xfe0f).map(cp).join('')}${range(0xe0100, 0xe0120).map(cp).join('')}`;
    expect(cleanName(smuggled)).toBe('\u{1F600}\uFE00');
    expect(cleanName('\uFE0Fx')).toBe('x');
    expect(cleanName('a \uFE0F')).toBe('a');
    expect(cleanName('\u{E0100}x')).toBe('x');
    expect(cleanName('x\u200B\uFE0F\u200B\uFE0F')).toBe('x\uFE0F');
    // One per base, also when the base carries marks (the same in NFC and NFD).
    expect(cleanName('e\u0301\uFE0F\uFE0F')).toBe('\u00E9\uFE0F');
    expect(cleanName('\u00E9\uFE0F')).toBe('\u00E9\uFE0F');
  });
});

describe('cleanName: controls and broken text', () => {
  it('replaces C0 and C1 controls with U+FFFD, spacing ones with a space', () => {
    expect(cleanName('a\u0000b')).toBe('a\uFFFDb');
    expect(cleanName('\u001B[31mred\u001B[0m')).toBe('\uFFFD[31mred\uFFFD[0m');
    expect(cleanName('a\u009B31mb')).toBe('a\uFFFD31mb');
    expect(cleanName('a\u007Fb')).toBe('a\uFFFDb');
    expect(cleanName('line\nbreak\tand\r\ncr')).toBe('line break and cr');
    expect(cleanName('next\u0085line\u2028sep\u2029par')).toBe('next line sep par');
    for (const c of [...range(0, 0x1f), ...range(0x7f, 0x9f)]) {
      expect(hasHiddenCharacters(`x${cp(c)}`)).toBe(true);
      expect(cleanName(`x${cp(c)}y`)).toMatch(/^x[ \uFFFD]y$/);
    }
  });

  it('replaces noncharacters and unpaired surrogates with U+FFFD', () => {
    expect(cleanName('a\uFDD0b\uFFFEc\u{10FFFF}')).toBe('a\uFFFDb\uFFFDc\uFFFD');
    expect(cleanName('a\uD800b')).toBe('a\uFFFDb');
    expect(cleanName('a\uDC00')).toBe('a\uFFFD');
    expect(hasHiddenCharacters('a\uD800b')).toBe(true);
  });

  it('collapses runs of white space and trims the ends', () => {
    expect(cleanName('  holiday   photos  ')).toBe('holiday photos');
    expect(cleanName(`invoice.pdf${' '.repeat(80)}.exe`)).toBe('invoice.pdf .exe');
    expect(cleanName('a\u3000\u3000b')).toBe('a b');
    // A single non-breaking or ideographic space is kept as it is.
    expect(cleanName('Live\u00A0: 2019')).toBe('Live\u00A0: 2019');
    expect(cleanName('\u6771\u3000\u4EAC')).toBe('\u6771\u3000\u4EAC');
    expect(cleanName(' \u200B ')).toBe('');
    expect(displayName('   ')).toBe(NO_NAME);
  });

  it('limits stacked nonspacing marks ("Zalgo") to 4, and the same mark twice in a row to one', () => {
    const zalgo = `Z${'\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307'.repeat(3)}algo`;
    const cleaned = cleanName(zalgo);
    expect(cleaned.normalize('NFD').match(/\p{Mn}/gu)?.length).toBe(4);
    expect(cleaned.endsWith('algo')).toBe(true);
    expect(cleanName('a\u0308\u0308\u0308')).toBe('\u00E4');
    // Vietnamese and other real stacks are untouched.
    expect(cleanName('Nguy\u1EC5n')).toBe('Nguy\u1EC5n');
    expect(cleanName('Nguye\u0302\u0303n')).toBe('Nguy\u1EC5n');
  });

  it('NFC-normalises', () => {
    expect(cleanName('Cafe\u0301')).toBe('Caf\u00E9');
    expect(cleanName('\u1100\u1161')).toBe('\uAC00');
    expect(hasHiddenCharacters('Cafe\u0301')).toBe(false);
  });
});

describe('cleanName keeps what names are made of', () => {
  it.each([
    ['Hebrew', '\u05E9\u05DC\u05D5\u05DD.txt'],
    ['Arabic', '\u0645\u0644\u0641 \u0627\u0644\u0635\u0648\u0631.zip'],
    ['Arabic with harakat', '\u0645\u064F\u062D\u064E\u0645\u064E\u0651\u062F'],
    ['Persian with ZWNJ', '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645'],
    ['Persian ZWNJ after a mark', '\u0628\u064E\u200C\u0647'],
    ['Devanagari conjunct with ZWJ (virama, ZWJ, consonant)', '\u0915\u094D\u200D\u0937'],
    ['Devanagari with ZWNJ', '\u0915\u094D\u200C\u0937'],
    ['Sinhala yansaya', '\u0D9A\u0DCA\u200D\u0DBA'],
    ['Malayalam virama + ZWJ + consonant', '\u0D28\u0D4D\u200D\u0D31'],
    ['Chinese', '\u5468\u672B\u7167\u7247'],
    ['Japanese', '\u5199\u771F\u3068\u30D3\u30C7\u30AA'],
    ['Korean', '\uC0AC\uC9C4'],
    ['Thai', '\u0E20\u0E32\u0E1E\u0E16\u0E48\u0E32\u0E22'],
    ['Greek and Cyrillic', '\u03A6\u03C9\u03C4\u03BF \u0424\u043E\u0442\u043E'],
    ['Latin with accents', 'Bj\u00F6rk \u2013 Ho\u0301moge\u0301nic'.normalize('NFC')],
    ['family emoji (ZWJ sequence)', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} photos'],
    ['rainbow flag (VS16 + ZWJ)', '\u{1F3F3}\uFE0F\u200D\u{1F308}'],
    ['skin tone + ZWJ', '\u{1F9D1}\u{1F3FD}\u200D\u{1F4BB} code'],
    ['heart on fire', '\u2764\uFE0F\u200D\u{1F525}'],
    ['keycap', '1\uFE0F\u20E3 first'],
    ['national flag', '\u{1F1EB}\u{1F1F7} France'],
    [
      'flag of Scotland (tag sequence)',
      '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} trip',
    ],
    ['private use (icon fonts)', '\uE000 icon'],
    ['plain', 'ubuntu-24.04-desktop-amd64.iso'],
  ])('%s', (_, name) => {
    expect(cleanName(name)).toBe(name);
    expect(hasHiddenCharacters(name)).toBe(false);
    expect(revealHidden(name)).toBe(name);
  });

  it('drops a ZWJ between an emoji and text, or text and an emoji', () => {
    expect(cleanName('\u{1F600}\u200Dabc')).toBe('\u{1F600}abc');
    expect(cleanName('abc\u200D\u{1F600}')).toBe('abc\u{1F600}');
  });

  it('drops tags that are not an emoji tag sequence, keeps the flag', () => {
    expect(cleanName('\u{1F3F4}\u{E0067}\u{E0062}')).toBe('\u{1F3F4}'); // no cancel tag
    const long = `\u{1F3F4}${'\u{E0061}'.repeat(8)}\u{E007F}`;
    expect(cleanName(long)).toBe('\u{1F3F4}'); // too long to be a subdivision
    expect(cleanName(`\u{1F3F4}\u{E0041}\u{E007F}`)).toBe('\u{1F3F4}'); // capital tags are not spelled so
    expect(cleanName('x\u{E0067}\u{E0062}\u{E007F}')).toBe('x');
  });
});

describe('cleanName is idempotent', () => {
  // A pseudo-random mix of every class above (seeded: the same strings every run).
  const pool = [
    'a',
    'Z',
    ' ',
    '  ',
    '.',
    '1',
    'é',
    'e',
    '\u0301',
    '\u0300',
    '\u0308',
    '\u0323',
    '\u094D',
    '\u0915',
    '\u0937',
    '\u0645',
    '\u06CC',
    '\u064E',
    '\u05E9',
    '\u200B',
    '\u200C',
    '\u200D',
    '\u200E',
    '\u202E',
    '\u2066',
    '\u2069',
    '\uFE0F',
    '\uFE00',
    '\u{E0100}',
    '\u{1F468}',
    '\u{1F3FD}',
    '\u{1F3F4}',
    '\u{E0067}',
    '\u{E007F}',
    '\u{E0041}',
    '\u0000',
    '\n',
    '\u0085',
    '\u009B',
    '\u2028',
    '\u00AD',
    '\u3164',
    '\uFEFF',
    '\uFFFE',
    '\uD800',
    '\u00A0',
    '\u3000',
    '\u1100',
    '\u1161',
    '\u11A8',
    '\u2764',
    '\u{1F525}',
    '\u20E3',
    '\u180E',
    '\u180B',
    '\uFFF9',
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const samples = Array.from({ length: 5000 }, () =>
    Array.from(
      { length: 1 + Math.floor(random() * 14) },
      () => pool[Math.floor(random() * pool.length)],
    ).join(''),
  );

  it('cleaning a cleaned name changes nothing; the result has no hidden characters', () => {
    for (const s of samples) {
      const once = cleanName(s);
      expect(cleanName(once), JSON.stringify(s)).toBe(once);
      expect(hasHiddenCharacters(once), JSON.stringify(s)).toBe(false);
      expect(once.normalize('NFC')).toBe(once);
      expect(findBidiReordering(once)).toBeUndefined();
    }
  });

  it('the verdict does not depend on the normalisation form of the input', () => {
    for (const s of samples) {
      const nfc = s.toWellFormed().normalize('NFC');
      const nfd = s.toWellFormed().normalize('NFD');
      expect(cleanName(nfc), JSON.stringify(s)).toBe(cleanName(s));
      expect(cleanName(nfd), JSON.stringify(s)).toBe(cleanName(s));
      expect(hasHiddenCharacters(nfc), JSON.stringify(s)).toBe(hasHiddenCharacters(nfd));
    }
  });

  it('revealHidden marks exactly what hasHiddenCharacters finds', () => {
    for (const s of samples) {
      if (hasHiddenCharacters(s)) expect(revealHidden(s)).toMatch(/<U\+[0-9A-F]{4,6}>/);
      else expect(revealHidden(s)).toBe(s);
    }
  });
});

describe('revealHidden: identifiers keep every character, hidden ones made visible', () => {
  it('writes each hidden character as <U+XXXX>', () => {
    expect(revealHidden('alice\u200B@example.org')).toBe('alice<U+200B>@example.org');
    expect(revealHidden('laptop\u202Egpj')).toBe('laptop<U+202E>gpj');
    expect(revealHidden('x\u0000y\u{E0041}')).toBe('x<U+0000>y<U+E0041>');
    expect(revealHidden('a\uD800')).toBe('a<U+D800>');
  });

  it('leaves the rest, including its normalisation form and spaces, as it is', () => {
    expect(revealHidden('Cafe\u0301  x')).toBe('Cafe\u0301  x');
    expect(revealHidden('bob@example.org/\u0645\u06CC\u200C\u062E')).toBe(
      'bob@example.org/\u0645\u06CC\u200C\u062E',
    );
  });
});

describe('isolate and hasRtl', () => {
  it('wraps right-to-left text in FSI…PDI', () => {
    expect(isolate('\u05E9\u05DC\u05D5\u05DD.txt')).toBe('\u2068\u05E9\u05DC\u05D5\u05DD.txt\u2069');
    expect(isolate('report \u0645\u0644\u0641')).toBe('\u2068report \u0645\u0644\u0641\u2069');
    expect(isolate('\u0661\u0662\u0663')).toBe('\u2068\u0661\u0662\u0663\u2069'); // Arabic-Indic digits
    expect(isolate('\u{10900}')).toBe('\u2068\u{10900}\u2069'); // Phoenician
  });

  it('leaves left-to-right text as it is', () => {
    for (const s of ['holiday.iso', '\u5468\u672B', '\u{1F468}\u200D\u{1F469}', '2024 (1)', ''])
      expect(isolate(s)).toBe(s);
    expect(hasRtl('abc')).toBe(false);
    expect(hasRtl('a\u05D0')).toBe(true);
  });
});

describe('findBidiReordering', () => {
  it('names the first embedding, override or isolate; marks are not reordering controls', () => {
    expect(findBidiReordering('rlo\u202Egpj.exe')).toBe('U+202E');
    expect(findBidiReordering('a\u2067b\u202Ac')).toBe('U+2067');
    expect(findBidiReordering('WhatsApp Chat \u200E+1 555')).toBeUndefined();
    expect(findBidiReordering('plain')).toBeUndefined();
  });
});
