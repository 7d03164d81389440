import type { Contact } from '@bitween/messages';
import { reading } from './errors.js';
import type { Surface } from './surface.js';

/** The share visibility bucket as the api uses it (`ShareVisibilityStore` from @bitween/bus). */
export interface VisibilityStoreLike {
  get(hash: string): Promise<{ groups: string[] } | null>;
  set(hash: string, groups: string[]): Promise<{ groups: string[] } | null>;
}

/** Who sees a share: `groups` empty = every contact (the default). */
export interface ShareGroups {
  hash: string;
  groups: string[];
}

/** A roster group and how many contacts are in it. */
export interface RosterGroup {
  name: string;
  contacts: number;
}

/**
 * Per-group visibility of our shares: which roster groups see each share (a KV bucket the
 * gateway follows; the XMPP server enforces it), and the roster's groups to choose from.
 * Throws `CoreError`s.
 */
export class VisibilityService {
  constructor(
    private readonly store: () => Promise<VisibilityStoreLike>,
    private readonly contacts: () => Promise<Contact[]>,
  ) {}

  async get(hash: string): Promise<ShareGroups> {
    const stored = await reading('share visibility bucket', async () => (await this.store()).get(hash));
    return { hash, groups: stored?.groups ?? [] };
  }

  /** Restrict `hash` to `groups` (deduplicated, sorted); empty: every contact sees it again. */
  async set(hash: string, groups: string[]): Promise<ShareGroups> {
    const stored = await reading('share visibility bucket', async () =>
      (await this.store()).set(hash, groups),
    );
    return { hash, groups: stored?.groups ?? [] };
  }

  /** The groups of our roster (from the gateway), by name, with their number of contacts. */
  async groups(): Promise<RosterGroup[]> {
    const counts = new Map<string, number>();
    for (const contact of await this.contacts())
      for (const group of contact.groups ?? []) counts.set(group, (counts.get(group) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, contacts]) => ({ name, contacts }));
  }
}

/** What the adapters see of visibility (see surface.ts). */
export type Visibility = Surface<VisibilityService>;
