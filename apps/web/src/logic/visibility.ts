/** One roster group as the visibility editor offers it. */
export interface GroupChoice {
  name: string;
  /** Contacts in the group now (0 for a chosen group nobody is in any more). */
  contacts: number;
  checked: boolean;
}

/**
 * The groups the editor offers for a share: every roster group, and any group the share is
 * restricted to that the roster no longer has (so it can be unchecked), sorted by name.
 */
export function groupChoices(
  roster: readonly { name: string; contacts: number }[],
  chosen: readonly string[],
): GroupChoice[] {
  const byName = new Map(roster.map((g) => [g.name, { name: g.name, contacts: g.contacts, checked: false }]));
  for (const name of chosen) {
    const known = byName.get(name);
    if (known) known.checked = true;
    else byName.set(name, { name, contacts: 0, checked: true });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** What a share's visibility says, in a sentence. */
export function visibilityText(groups: readonly string[]): string {
  if (groups.length === 0) return 'Every contact sees this share.';
  const names = groups.map((g) => `“${g}”`).join(', ');
  return `Only contacts in ${groups.length === 1 ? 'the group' : 'the groups'} ${names} see this share; their XMPP server refuses it to everyone else.`;
}
