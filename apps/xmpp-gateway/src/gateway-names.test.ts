import { EventEmitter } from 'node:events';
import type { Bus, EngineRegistry, Logger } from '@bitween/bus';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from './gateway.js';
import type { RejectedNotification } from './protocol/notification.js';
import type { RosterItem, SessionEvents, XmppSession } from './xmpp/session.js';

/** The parts of XmppSession the gateway uses here, without a server. */
class FakeSession extends EventEmitter<SessionEvents> {
  readonly bareJid = 'bob@example.org';
  readonly resource = 'bitween';
  readonly roster = new Map<string, RosterItem>();
  online = false;
  isTrusted(bare: string): boolean {
    return bare === this.bareJid || ['to', 'both'].includes(this.roster.get(bare)?.subscription ?? '');
  }
  start(): void {}
  async stop(): Promise<void> {}
}

function logger() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

const registry = {
  watch: () => Promise.resolve(() => undefined),
  live: () => Promise.resolve([]),
} as unknown as EngineRegistry;
const bus = { publish: () => true, nc: { info: undefined } } as unknown as Bus;

describe('the gateway and names and events from contacts', () => {
  let gateway: Gateway | null = null;
  afterEach(async () => {
    await gateway?.stop();
    gateway = null;
  });

  const make = () => {
    const session = new FakeSession();
    const { log, lines } = logger();
    gateway = new Gateway({
      session: session as unknown as XmppSession,
      bus,
      registry,
      log,
      engineCheckMs: 60_000,
    });
    return { session, lines, gateway };
  };

  it('shows roster names cleaned (null when nothing is left); JIDs stay as they are', () => {
    const { session, gateway } = make();
    session.roster.set('alice@example.org', { subscription: 'both', name: 'Alice \u202Eevil\u200B' });
    session.roster.set('carol@example.org', { subscription: 'both', name: '\u202E\u2066' });
    session.roster.set('dave@example.org', { subscription: 'to', name: '\u0645\u06CC\u200C\u062E' });
    expect(gateway.contacts().map((c) => [c.jid, c.name])).toEqual([
      ['alice@example.org', 'Alice evil'],
      ['carol@example.org', null],
      ['dave@example.org', '\u0645\u06CC\u200C\u062E'],
    ]);
  });

  it('counts dropped events and logs them at debug only', async () => {
    const { session, lines, gateway } = make();
    await gateway.start();
    const rejected = (from: string): RejectedNotification => ({
      ok: false,
      from,
      type: 'headline',
      reason: 'sent from a full JID (by a client), not by the PEP service',
    });
    session.emit('rejectedNotification', rejected('mallory@example.org/x'));
    session.emit('rejectedNotification', rejected('trudy@example.org/y'));
    // A notification from someone who is no contact (the session passes none; counted the same).
    session.emit('notification', 'eve@example.org', { kind: 'retract' });
    const dropped = lines.filter(
      (l) => l.msg === 'dropped a shares event that is not a PEP notification from a contact',
    );
    expect(dropped.map((l) => [l.level, l.obj['from'], l.obj['droppedEvents']])).toEqual([
      ['debug', 'mallory@example.org/x', 1],
      ['debug', 'trudy@example.org/y', 2],
      ['debug', 'eve@example.org', 3],
    ]);
    expect(gateway.index.has('eve@example.org')).toBe(false);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });
});
