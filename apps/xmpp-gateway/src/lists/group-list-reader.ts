import type { Logger } from '@bitween/bus';
import { discoItemsQuery, GROUPS_SIGNAL_NODE, groupNodesIn } from '../protocol/group-nodes.js';
import {
  decodeUserShares,
  DEFAULT_LIMITS,
  type Limits,
  type ResourceEntry,
} from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import { itemKey } from './list-reader.js';

const IQ_TIMEOUT_MS = 30_000;

export interface GroupListReaderOptions {
  session: XmppSession;
  log: Logger;
  limits?: Limits | undefined;
}

/**
 * Reads the group nodes a contact lets us read (protocol/group-nodes.ts): lists its PEP nodes
 * (disco#items), fetches the item of each group node, and decodes it strictly like any list.
 * A node we may not read (we are not in its groups) is refused by the contact's server and skipped.
 */
export class GroupListReader {
  constructor(private readonly opts: GroupListReaderOptions) {}

  /**
   * A fingerprint of `jid`'s group signal item (its version changes with every change of its
   * group nodes; one small IQ), or null when it publishes none. Rejects when it cannot be had.
   */
  async signal(jid: string): Promise<string | null> {
    const payload = await this.opts.session.fetchItem(GROUPS_SIGNAL_NODE, jid);
    return payload ? itemKey(payload) : null;
  }

  /** Every group list `jid` lets us read now (one per node); null: the node list could not be had. */
  async read(jid: string): Promise<ResourceEntry[][] | null> {
    const { session, log } = this.opts;
    let nodes: string[];
    try {
      nodes = groupNodesIn(await session.iq('get', jid, discoItemsQuery(), IQ_TIMEOUT_MS), jid);
    } catch (err) {
      log.debug({ jid, err: (err as Error).message }, 'could not list a contact’s nodes');
      return null;
    }
    const lists: ResourceEntry[][] = [];
    const limits = this.opts.limits ?? DEFAULT_LIMITS;
    // One budget of bytes for all of a contact's group lists together (as for one list).
    let budget = limits.maxPayloadBytes;
    for (const node of nodes) {
      if (budget <= 0) {
        log.warn(
          { jid, nodes: nodes.length, read: lists.length },
          'a contact’s group lists are too large; the rest is ignored',
        );
        break;
      }
      let payload;
      try {
        payload = await session.fetchItem(node, jid);
      } catch (err) {
        // Not in the node's groups: the server says so (forbidden / not-allowed).
        log.debug(
          { jid, node, err: (err as { condition?: string }).condition },
          'a group list we may not read',
        );
        continue;
      }
      if (!payload) continue;
      const decoded = decodeUserShares(payload, { ...limits, maxPayloadBytes: budget });
      budget -= Buffer.byteLength(payload.toString());
      if (!decoded.ok) {
        log.warn({ jid, node, problems: decoded.problems }, 'dropped a malformed group list');
        continue;
      }
      if (decoded.problems.length > 0)
        log.warn(
          { jid, node, problems: decoded.problems.slice(0, 20) },
          'dropped invalid entries of a group list',
        );
      lists.push(decoded.resources);
    }
    return lists;
  }
}
