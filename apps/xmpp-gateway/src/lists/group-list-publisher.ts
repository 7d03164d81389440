import type { Logger } from '@bitween/bus';
import { coalesce } from '@bitween/runtime';
import { planGroups, type GroupNodePlan, type RosterMember } from '../domain/group-plan.js';
import {
  GROUPS_SIGNAL_NODE,
  addMembers,
  affiliationsQuery,
  deleteNode,
  discoItemsQuery,
  groupNodesIn,
  groupPublish,
  groupsSignal,
  membersOf,
  type GroupNodeNames,
} from '../protocol/group-nodes.js';
import { encodeUserShares, storedName, type ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import type { UploadPace } from '../xmpp/upload-pace.js';

const IQ_TIMEOUT_MS = 30_000;
/** After a failed round (a server error, a timeout), try again this much later. */
const RETRY_MS = 5_000;

export interface GroupListPublisherOptions {
  session: XmppSession;
  log: Logger;
  pace: UploadPace;
  names: GroupNodeNames;
  /** Our own entries as they are now (one per live engine, with our addresses, every share). */
  ownEntries(): ResourceEntry[];
  /** info-hash → the roster groups that see it (absent: every contact). */
  visibility(): ReadonlyMap<string, readonly string[]>;
  /** Our roster: subscription and groups of each contact. */
  roster(): ReadonlyMap<string, RosterMember>;
}

/** What the server holds for one of our group nodes. */
interface Served {
  /** The item's text; null: unknown (publish it). */
  item: string | null;
  members: Set<string>;
}

/**
 * Publishes the shares only some roster groups see (protocol/group-nodes.ts): one whitelist PEP
 * node per group set with its members, and the signal that tells friends to read them again.
 * A member who leaves the groups (or stops receiving our presence) is not struck off: the node is
 * deleted and made again with the new members (deleting drops every affiliation and subscription
 * on both Prosody and ejabberd; Prosody refuses to unset the affiliation of a subscribed member).
 * Nodes of this instance no plan needs any more are deleted, also those left from before a restart.
 * Only this instance's entries go into its nodes (sibling instances have their own nodes).
 */
export class GroupListPublisher {
  /** Our group nodes on the server and what they hold; null until read after login. */
  #served: Map<string, Served> | null = null;
  /** The signal version the server holds; null: unknown. */
  #signal: string | null = null;
  #retry: NodeJS.Timeout | null = null;
  #generation = 0;
  readonly #publisher;

  constructor(private readonly opts: GroupListPublisherOptions) {
    this.#publisher = coalesce(
      () => this.#publish(),
      (err) => {
        opts.log.warn({ err }, 'publishing the group share lists failed (trying again shortly)');
        if (this.#retry) clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          this.#retry = null;
          this.#publisher.trigger();
        }, RETRY_MS);
      },
    );
  }

  /** Shares, visibility or the roster may have changed. */
  trigger(): void {
    this.#publisher.trigger();
  }

  /** Our entries without the shares only some groups see: what the original node carries. */
  everyone(entries: ResourceEntry[]): ResourceEntry[] {
    const visibility = this.opts.visibility();
    if (visibility.size === 0) return entries;
    return entries.map((r) => ({
      ...r,
      shares: r.shares.filter((s) => !visibility.has(s.hash.toLowerCase())),
    }));
  }

  /** Logged in: read which of our group nodes the server holds (and their members), then publish. */
  async onOnline(): Promise<void> {
    const { session, log, names } = this.opts;
    const generation = ++this.#generation;
    this.#served = null;
    this.#signal = null;
    try {
      const query = await session.iq('get', session.bareJid, discoItemsQuery(), IQ_TIMEOUT_MS);
      const served = new Map<string, Served>();
      for (const node of groupNodesIn(query, session.bareJid).filter((n) => names.isOurs(n))) {
        const affiliations = await session.iq('get', session.bareJid, affiliationsQuery(node), IQ_TIMEOUT_MS);
        served.set(node, { item: null, members: new Set(membersOf(affiliations)) });
      }
      if (generation !== this.#generation) return;
      this.#served = served;
      log.debug({ nodes: served.size }, 'read our group nodes');
    } catch (err) {
      log.warn({ err }, 'could not read our group nodes; publishing them afresh');
      if (generation === this.#generation) this.#served = new Map();
    }
    this.#publisher.trigger();
  }

  onOffline(): void {
    this.#generation += 1;
    this.#served = null;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
  }

  async #publish(): Promise<void> {
    const { session, log, names } = this.opts;
    const served = this.#served;
    if (!session.online || !served) return;
    const generation = this.#generation;
    const plan = planGroups({
      entries: this.opts.ownEntries(),
      visibility: this.opts.visibility(),
      roster: this.opts.roster(),
    });
    const wanted = new Map<string, GroupNodePlan>(
      [...plan.nodes.values()].map((node) => [names.node(node.groups), node]),
    );
    let changed = false;
    for (const [node, content] of wanted) {
      if (generation !== this.#generation) return;
      const item = encodeUserShares(
        content.entries.map((r) => ({
          ...r,
          shares: r.shares.map((s) => ({ ...s, name: storedName(s.name) })),
        })),
      );
      const text = item.toString();
      const members = new Set(content.members);
      let now = served.get(node);
      // Someone left: make the node again rather than strike them off (see the class comment).
      if (now && [...now.members].some((jid) => !members.has(jid))) {
        await this.#iq(deleteNode(node));
        served.delete(node);
        now = undefined;
        changed = true;
        log.info({ node }, 'made a group node again without the contacts who left its groups');
      }
      if (!now || now.item !== text) {
        await this.opts.pace.take(Buffer.byteLength(text) + 400);
        await this.#iq(groupPublish(node, item));
        now = { item: text, members: now?.members ?? new Set() };
        served.set(node, now);
        changed = true;
      }
      const added = content.members.filter((jid) => !now.members.has(jid));
      if (added.length > 0) {
        await this.#iq(addMembers(node, added));
        for (const jid of added) now.members.add(jid);
        changed = true;
      }
    }
    for (const node of [...served.keys()]) {
      if (wanted.has(node) || generation !== this.#generation) continue;
      await this.#iq(deleteNode(node));
      served.delete(node);
      changed = true;
    }
    if (generation !== this.#generation) return;
    const state = JSON.stringify(
      [...served]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([node, s]) => [node, s.item, [...s.members].sort()]),
    );
    const version = names.version(state);
    // No group node now or before: nothing to signal (accounts without groups publish no signal node).
    const needed = served.size > 0 || changed || this.#signal !== null;
    if (needed && version !== this.#signal) {
      await session.publish(groupsSignal(version), GROUPS_SIGNAL_NODE);
      this.#signal = version;
      log.info(
        {
          nodes: [...wanted.values()].map((n) => ({
            shares: n.entries.reduce((k, r) => k + r.shares.length, 0),
            members: n.members.length,
          })),
        },
        'published our group share lists',
      );
    }
  }

  async #iq(child: Parameters<XmppSession['iq']>[2]): Promise<void> {
    const { session } = this.opts;
    try {
      await session.iq('set', session.bareJid, child, IQ_TIMEOUT_MS);
    } catch (err) {
      // Deleting a node that is gone already is done.
      const gone = (err as { condition?: string }).condition === 'item-not-found';
      if (!(gone && child.getChild('delete'))) throw err;
    }
  }
}
