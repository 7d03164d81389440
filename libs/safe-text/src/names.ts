/**
 * Names bitween did not choose — share names in contacts' lists, names and file names in a
 * friend's torrent, roster names and XMPP resources — are untrusted text. Shown as they are, a
 * bidi override turns `rlo\u202Egpj.exe` into "rlo‮gpj.exe" (it reads "rloexe.jpg"), invisible
 * characters make two different names look alike or hide data, and control characters reach
 * terminals. The policy below follows Unicode TR #36 (security considerations) and UTS #39
 * (security mechanisms): it works per code point, on the NFD form, and ends in NFC.
 *
 * Dropped (they have no visible form; in a name they only reorder or hide):
 * - bidi controls: ALM U+061C, LRM/RLM U+200E-U+200F, the embeddings and overrides
 *   U+202A-U+202E, the isolates U+2066-U+2069;
 * - every other Default_Ignorable_Code_Point (soft hyphen U+00AD, CGJ U+034F, Hangul fillers
 *   U+115F, U+1160, U+3164, U+FFA0, Khmer U+17B4-U+17B5, Mongolian vowel separator U+180E, zero
 *   width space U+200B, word joiner and invisible operators U+2060-U+2065, the deprecated format
 *   characters U+206A-U+206F, BOM / zero width no-break space U+FEFF, U+FFF0-U+FFF8, shorthand
 *   format controls U+1BCA0-U+1BCA3, musical format controls U+1D173-U+1D17A, tag characters
 *   and the rest of U+E0000-U+E0FFF), and the interlinear annotation characters U+FFF9-U+FFFB
 *   (renderers may hide the annotated text) — except in the contexts below.
 *
 * Kept in context (UTS #39 allows them where they carry meaning):
 * - ZWJ U+200D inside an emoji ZWJ sequence (after an emoji, an emoji modifier or a tag
 *   sequence's cancel tag — with their VS16 or marks —, before an emoji: 👨‍👩‍👧, 🏳️‍🌈, 🧑🏽‍💻), and
 *   ZWJ / ZWNJ U+200C between two letters (the one before may carry marks, e.g. a virama) of a
 *   script that uses them: Arabic-script and the other joining scripts (Persian "می‌خواهم" needs
 *   its ZWNJ) and the Brahmic scripts (consonant + virama + ZWJ/ZWNJ + consonant). Elsewhere —
 *   between Latin letters, at either end, next to spaces — they are dropped;
 * - one variation selector (U+FE00-U+FE0F, U+E0100-U+E01EF, Mongolian U+180B-U+180D, U+180F)
 *   per base character (❤️, ideographic variation sequences); a second one, or one after a
 *   space, an invisible character or at the start, is dropped (a run of them can smuggle data
 *   invisibly);
 * - an emoji tag sequence: 🏴 followed by 1-7 tag digits or small letters and the cancel tag
 *   U+E007F (the flags of England, Scotland, Wales); any other tag character is dropped.
 *
 * Replaced:
 * - C0 and C1 controls: the whitespace ones (tab, LF, VT, FF, CR, NEL U+0085) and the line and
 *   paragraph separators U+2028-U+2029 by a space; the others (NUL, ESC…, CSI U+009B) by U+FFFD,
 *   which shows that something was there;
 * - noncharacters (U+FDD0-U+FDEF, U+xFFFE-U+xFFFF) and unpaired surrogates by U+FFFD.
 *
 * Limited (UTS #39 section 5.4, "Zalgo" text that spills over other lines):
 * - at most 4 nonspacing marks in a row on one base, and never the same mark twice in a row.
 *
 * Spaces: a run of two or more white-space characters becomes one space, and white space at
 * either end is removed (a name padded with spaces can push ".exe" out of view).
 *
 * Not handled: confusable letters of other scripts (Cyrillic "а" for Latin "a", UTS #39
 * confusables) and mixed-script names — a name may still look like another one; the hash, not
 * the name, identifies a share. Right-to-left text is kept: Arabic and Hebrew names must show,
 * and `isolate` keeps them from reordering the text around them.
 *
 * Pure and without Node APIs: the gateway, the engine, the CLI and the web UI (in the browser)
 * use this one module.
 */

/** What a name that is empty after cleaning is shown as. */
export const NO_NAME = '(no name)';

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;
const FSI = '\u2068';
const PDI = '\u2069';

/** The bidi controls (Unicode's Bidi_Control property). */
const BIDI_CONTROLS: readonly [number, number][] = [
  [0x061c, 0x061c],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
];

/**
 * Default_Ignorable_Code_Point (DerivedCoreProperties, Unicode 16; stable for these ranges),
 * spelled out rather than read from the runtime's Unicode tables, so the gateway and every
 * browser apply the same policy. The unit test compares it with the runtime's property.
 */
const DEFAULT_IGNORABLE: readonly [number, number][] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfff8],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];

const inRanges = (cp: number, ranges: readonly [number, number][]) =>
  ranges.some(([lo, hi]) => cp >= lo && cp <= hi);

export const isBidiControl = (cp: number): boolean => inRanges(cp, BIDI_CONTROLS);

/** The embeddings, overrides and isolates: the bidi controls that reorder whole runs of text. */
export const isBidiReordering = (cp: number): boolean =>
  (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);

export const isDefaultIgnorable = (cp: number): boolean => inRanges(cp, DEFAULT_IGNORABLE);

const isVariationSelector = (cp: number) =>
  (cp >= 0xfe00 && cp <= 0xfe0f) ||
  (cp >= 0xe0100 && cp <= 0xe01ef) ||
  (cp >= 0x180b && cp <= 0x180d) ||
  cp === 0x180f;

const isControl = (cp: number) => cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
/** Controls that separate words or lines: shown as a space. */
const isSpacingControl = (cp: number) =>
  (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isNoncharacter = (cp: number) => (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;
const isAnnotation = (cp: number) => cp >= 0xfff9 && cp <= 0xfffb;
/** Tag digits and small letters (the spelling of a subdivision in an emoji tag sequence). */
const isTagSpec = (cp: number) => (cp >= 0xe0030 && cp <= 0xe0039) || (cp >= 0xe0061 && cp <= 0xe007a);

const LETTER = /^\p{L}$/u;
const NONSPACING_MARK = /^[\p{Mn}\p{Me}]$/u;
const WHITE_SPACE = /^\s$/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
const EMOJI_MODIFIER = /^\p{Emoji_Modifier}$/u;
/**
 * Scripts whose spelling uses ZWJ / ZWNJ: the joining scripts (Arabic, Syriac, N'Ko, Mongolian,
 * Mandaic, Manichaean, Psalter Pahlavi, Phags-pa, Adlam, Hanifi Rohingya, Sogdian, Chorasmian)
 * and the Brahmic scripts with a virama (IDNA's CONTEXTJ rules, simplified to scripts).
 * Script_Extensions, so shared characters such as the tatweel count too.
 */
const JOINING_SCRIPTS = [
  'Arabic',
  'Syriac',
  'Nko',
  'Mongolian',
  'Mandaic',
  'Manichaean',
  'Psalter_Pahlavi',
  'Phags_Pa',
  'Adlam',
  'Hanifi_Rohingya',
  'Sogdian',
  'Chorasmian',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Tai_Tham',
  'Balinese',
  'Javanese',
  'Sundanese',
  'Batak',
  'Brahmi',
  'Kaithi',
  'Chakma',
  'Sharada',
  'Takri',
  'Khojki',
  'Khudawadi',
  'Grantha',
  'Tirhuta',
  'Siddham',
  'Modi',
  'Newa',
  'Limbu',
  'Lepcha',
  'Saurashtra',
  'Syloti_Nagri',
  'Meetei_Mayek',
  'Kharoshthi',
];

/** A script an older engine does not know is left out (rather than failing to load the module). */
const knownScript = (name: string) => {
  try {
    return new RegExp(`\\p{Script_Extensions=${name}}`, 'u') !== null;
  } catch {
    return false;
  }
};

const JOINING_SCRIPT = new RegExp(
  `^[${JOINING_SCRIPTS.filter(knownScript)
    .map((s) => `\\p{Script_Extensions=${s}}`)
    .join('')}]$`,
  'u',
);

/**
 * Strong right-to-left (and Arabic number) text: the blocks whose default bidi class is R or AL
 * (DerivedBidiClass): Hebrew, Arabic, Syriac, Thaana, N'Ko…, their presentation forms, and the
 * right-to-left scripts of the supplementary planes.
 */
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

type Hidden = 'drop' | 'replace' | 'space';

/**
 * Where a pass stands: `base` is the last code point of the cleaned text so far that is not a
 * nonspacing mark (so the same in NFC and NFD: the rules below read the same in both forms),
 * `selected` whether a variation selector followed that base already.
 */
interface Context {
  base: string | undefined;
  selected: boolean;
}

const isMark = (c: string) => NONSPACING_MARK.test(c);

/** What the policy does with the code point at `i` of `cps` (null: keep it). */
function verdict(cps: readonly string[], i: number, ctx: Context): Hidden | null {
  const c = cps[i]!;
  const cp = c.codePointAt(0)!;
  if (isSpacingControl(cp)) return 'space';
  if (isControl(cp)) return 'replace';
  if (isNoncharacter(cp) || isSurrogate(cp)) return 'replace';
  if (isAnnotation(cp)) return 'drop';
  if (!isDefaultIgnorable(cp)) return null;
  if (isBidiControl(cp)) return 'drop';
  const { base } = ctx;
  if (base === undefined) return 'drop';
  const b = base.codePointAt(0)!;
  if (cp === ZWJ || cp === ZWNJ) {
    // (`next` is a letter or an emoji, which are never dropped: a second pass decides the same.)
    const next = cps[i + 1];
    if (next === undefined) return 'drop';
    if (LETTER.test(base) && JOINING_SCRIPT.test(base) && LETTER.test(next) && JOINING_SCRIPT.test(next))
      return null;
    if (
      cp === ZWJ &&
      PICTOGRAPHIC.test(next) &&
      (PICTOGRAPHIC.test(base) || EMOJI_MODIFIER.test(base) || b === CANCEL_TAG)
    )
      return null;
    return 'drop';
  }
  if (isVariationSelector(cp)) {
    const real = !WHITE_SPACE.test(base) && !isDefaultIgnorable(b) && b !== 0xfffd;
    return real && !ctx.selected ? null : 'drop';
  }
  return 'drop';
}

/** Length of the emoji tag sequence (🏴 + 1-7 tag digits/small letters + cancel tag) at `i`, or 0. */
function tagSequenceAt(cps: readonly string[], i: number): number {
  if (cps[i]?.codePointAt(0) !== BLACK_FLAG) return 0;
  let j = i + 1;
  while (j < cps.length && j - i <= 7 && isTagSpec(cps[j]!.codePointAt(0)!)) j++;
  const spec = j - i - 1;
  if (spec < 1 || spec > 7 || cps[j]?.codePointAt(0) !== CANCEL_TAG) return 0;
  return j - i + 1;
}

/** How a hidden code point is written out: the cleaning modes, and `reveal` for identifiers. */
type Mode = 'clean' | 'reveal';

const label = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * One pass over `text` (code points): every code point kept, dropped or replaced as the policy
 * says. Returns the new text and whether anything was dropped or replaced.
 */
function pass(text: string, mode: Mode): { text: string; hidden: boolean } {
  const cps = Array.from(text);
  const out: string[] = [];
  let hidden = false;
  const ctx: Context = { base: undefined, selected: false };
  const kept = (c: string) => {
    if (isVariationSelector(c.codePointAt(0)!)) ctx.selected = true;
    else if (!isMark(c)) {
      ctx.base = c;
      ctx.selected = false;
    }
  };
  for (let i = 0; i < cps.length; i++) {
    const tags = tagSequenceAt(cps, i);
    if (tags > 0) {
      out.push(...cps.slice(i, i + tags));
      kept(cps[i + tags - 1]!);
      i += tags - 1;
      continue;
    }
    const c = cps[i]!;
    const v = verdict(cps, i, ctx);
    if (v === null) {
      out.push(c);
      kept(c);
      continue;
    }
    hidden = true;
    const replacement = v === 'space' ? ' ' : v === 'replace' ? '\uFFFD' : null;
    if (replacement !== null) kept(replacement);
    if (mode === 'reveal') out.push(`<${label(c)}>`);
    else if (replacement !== null) out.push(replacement);
  }
  return { text: out.join(''), hidden };
}

const MAX_MARKS = 4;

/** UTS #39 5.4: at most MAX_MARKS nonspacing marks in a row, no mark twice in a row (NFD input). */
function limitMarks(text: string): string {
  const out: string[] = [];
  let run = 0;
  let last = '';
  for (const c of text) {
    const cp = c.codePointAt(0)!;
    if (isVariationSelector(cp)) {
      out.push(c); // (a nonspacing mark by category, but not one that stacks)
      continue;
    }
    if (NONSPACING_MARK.test(c)) {
      if (run >= MAX_MARKS || c === last) continue;
      run++;
      last = c;
    } else {
      run = 0;
      last = '';
    }
    out.push(c);
  }
  return out.join('');
}

/**
 * A name as bitween stores and shows it: the policy of this module applied (possibly '' — see
 * `displayName`). Idempotent: cleaning a clean name changes nothing.
 */
export function cleanName(raw: string): string {
  const filtered = pass(raw.toWellFormed().normalize('NFD'), 'clean').text;
  // Normalised again: dropping a character can bring marks together in another order.
  const limited = limitMarks(filtered.normalize('NFD'));
  return limited
    .replace(/\s{2,}/gu, ' ')
    .trim()
    .normalize('NFC');
}

/** The clean name, or `placeholder` when nothing visible is left (or there was no name). */
export function displayName(raw: string | null | undefined, placeholder: string = NO_NAME): string {
  if (raw === null || raw === undefined) return placeholder;
  const clean = cleanName(raw);
  return clean === '' ? placeholder : clean;
}

/**
 * Whether `text` holds a character the policy drops or replaces (a bidi control, an invisible
 * character out of context, a control, a noncharacter, an unpaired surrogate). For identifiers
 * (XMPP resources, JIDs), which must not be changed but may be refused.
 */
export function hasHiddenCharacters(text: string): boolean {
  if (text.toWellFormed() !== text) return true;
  return pass(text, 'clean').hidden;
}

/**
 * An identifier (a JID, a resource) as it may be shown: unchanged, except that every character
 * the policy would drop or replace is written as a visible `<U+XXXX>`. Unlike a name, an
 * identifier is never shortened: "alice\u200B@example.org" must not look like
 * "alice@example.org". Also for log lines and error messages quoting untrusted names.
 */
export function revealHidden(text: string): string {
  return pass(text, 'reveal').text;
}

/** Whether `text` holds right-to-left letters (Hebrew, Arabic…) or Arabic digits. */
export function hasRtl(text: string): boolean {
  return RTL.test(text);
}

/**
 * `text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE when it holds right-to-left
 * text, so it takes its own direction and neither reorders nor is reordered by what surrounds
 * it (UAX #9 isolates). Left-to-right text is returned as it is (no invisible characters where
 * they change nothing). For names inside a longer string: a message, a label, a terminal line;
 * in HTML, `<bdi>` or `unicode-bidi: isolate` do the same. Expects clean text (a name with its
 * own unbalanced PDI could end the isolate early).
 */
export function isolate(text: string): string {
  return hasRtl(text) ? `${FSI}${text}${PDI}` : text;
}

/** The first embedding, override or isolate control in `text` (U+202A-U+202E, U+2066-U+2069), if any. */
export function findBidiReordering(text: string): string | undefined {
  for (const c of text) if (isBidiReordering(c.codePointAt(0)!)) return label(c);
  return undefined;
}
