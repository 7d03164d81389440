/**
 * `pattern` attributes of the forms. Browsers compile a pattern as `^(?:…)$` with the `v` flag
 * (HTML spec), where `/`, `(`, `)`, `[`, `]`, `{`, `}`, `|` and `-` inside a character class
 * must be escaped: an invalid pattern is ignored (the field is never validated).
 */

/** The XMPP server of the account form: `xmpp://host[:port]` or `xmpps://…`, no path. */
export const XMPP_SERVICE_PATTERN = String.raw`xmpps?://[^\/\s]+`;

/** The pattern as the browser compiles it (for tests, and for checks outside a form). */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'v');
}
