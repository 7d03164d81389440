/**
 * Whether a NATS subject (or a pattern, read as the set of subjects it stands for) lies inside
 * `pattern`: `*` matches one token, `>` one or more at the end. A pattern on the left is covered
 * only if every subject it stands for is (`a.*` inside `a.>` yes, `a.>` inside `a.*` no).
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token === '*') {
      if (s[i] === '>') return false;
      continue;
    }
    if (token !== s[i]) return false;
  }
  return p.length === s.length;
}
