import { describe, expect, it } from 'vitest';
import { compilePattern, XMPP_SERVICE_PATTERN } from './patterns.js';

describe('form patterns', () => {
  it('the server pattern compiles under the v flag, as browsers compile it', () => {
    expect(() => compilePattern(XMPP_SERVICE_PATTERN)).not.toThrow();
    // The old pattern did not: an unescaped / in a class is a syntax error with v.
    expect(() => compilePattern('xmpps?://[^/\\s]+')).toThrow(SyntaxError);
  });

  it('accepts xmpp:// and xmpps:// with a host and port, nothing else', () => {
    const re = compilePattern(XMPP_SERVICE_PATTERN);
    for (const ok of ['xmpp://chat.example.org:5222', 'xmpps://example.org', 'xmpp://[::1]:5222'])
      expect(re.test(ok), ok).toBe(true);
    for (const bad of ['chat.example.org', 'http://example.org', 'xmpp://host/path', 'xmpp://a b', 'xmpp://'])
      expect(re.test(bad), bad).toBe(false);
  });
});
