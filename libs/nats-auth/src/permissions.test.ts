import { buckets, engine, serviceNames, streams, subjects, xmpp } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import {
  commandPattern,
  commandRules,
  describeTable,
  eventRules,
  kvRules,
  permissionsFor,
  ROLES,
  serviceRules,
  streamRules,
  type Role,
} from './permissions.js';
import { subjectMatches } from './subject-match.js';

const inbox = (role: Role) => `_INBOX.${role.toUpperCase()}`;
const perms = Object.fromEntries(ROLES.map((r) => [r, permissionsFor(r, inbox(r))])) as Record<
  Role,
  ReturnType<typeof permissionsFor>
>;
const canPublish = (role: Role, subject: string) =>
  perms[role].publish.allow.some((p) => subjectMatches(p, subject));
const canSubscribe = (role: Role, subject: string) =>
  perms[role].subscribe.allow.some((p) => subjectMatches(p, subject));
const publishers = (subject: string) => ROLES.filter((r) => canPublish(r, subject));
const subscribers = (subject: string) => ROLES.filter((r) => canSubscribe(r, subject));

/** Every command and event contract libs/messages exports. */
const contracts = ([...Object.values(engine), ...Object.values(xmpp)] as unknown[]).filter(
  (v): v is { kind: 'command' | 'event'; name: string } =>
    typeof v === 'object' && v !== null && 'kind' in v && (v.kind === 'command' || v.kind === 'event'),
);

/** The string leaves of `subjects` and the names of its functions (subject builders). */
function leaves(obj: object, at = 'subjects'): { strings: [string, string][]; functions: string[] } {
  const out = { strings: [] as [string, string][], functions: [] as string[] };
  for (const [key, value] of Object.entries(obj)) {
    const name = `${at}.${key}`;
    if (typeof value === 'string') out.strings.push([name, value]);
    else if (typeof value === 'function') out.functions.push(name);
    else if (typeof value === 'object' && value !== null) {
      const inner = leaves(value as object, name);
      out.strings.push(...inner.strings);
      out.functions.push(...inner.functions);
    }
  }
  return out;
}

describe('subjectMatches', () => {
  it('reads * as one token and > as the rest', () => {
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*.c', 'a.b.d')).toBe(false);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b', 'a.b')).toBe(true);
    expect(subjectMatches('a.b', 'a.b.c')).toBe(false);
  });
  it('covers a pattern only with a pattern at least as wide', () => {
    expect(subjectMatches('a.>', 'a.*.c')).toBe(true);
    expect(subjectMatches('a.*.c', 'a.*.c')).toBe(true);
    expect(subjectMatches('a.*', 'a.>')).toBe(false);
    expect(subjectMatches('a.b.*', 'a.*.c')).toBe(false);
  });
});

describe('the permission table covers every subject of libs/messages', () => {
  it('has exactly one row for every command and event contract', () => {
    const rows = [...commandRules.map((r) => r.command), ...eventRules.map((r) => r.event)];
    for (const c of contracts) {
      expect(
        rows.filter((r) => r === c),
        `${c.kind} ${c.name} needs one row in libs/nats-auth/src/permissions.ts`,
      ).toHaveLength(1);
    }
    expect(rows).toHaveLength(contracts.length);
  });

  it('lets one service serve each command and someone ask it; nobody else may serve it', () => {
    for (const rule of commandRules) {
      const subject = commandPattern(rule.command);
      expect(subscribers(subject), `${rule.command.name} (${subject}) served by`).toEqual([rule.servedBy]);
      expect(publishers(subject), `${rule.command.name} asked by`).toEqual(
        ROLES.filter((r) => rule.askedBy.includes(r)),
      );
    }
  });

  it('lets exactly the publisher publish each event', () => {
    for (const rule of eventRules) {
      expect(publishers(rule.event.pattern), rule.event.name).toEqual([rule.publishedBy]);
    }
  });

  it('covers every subject string of subjects.ts', () => {
    const { strings } = leaves(subjects);
    expect(strings.length).toBeGreaterThan(10);
    for (const [name, subject] of strings) {
      if (subject === subjects.events.all) {
        // The events stream records it; every event below it has a row (checked above).
        expect(
          streamRules.some((r) => r.captures === subject),
          name,
        ).toBe(true);
        continue;
      }
      const covered = publishers(subject).length > 0 || subscribers(subject).length > 0;
      expect(covered, `${name} = ${subject} is granted to no service`).toBe(true);
    }
  });

  it('knows every subject builder of subjects.ts (a new one needs a look, then a row)', () => {
    // These build the subjects of the contracts checked above (engine.instance → engine.remove …,
    // events.torrent* → torrent.progress/added/removed). Add a new builder here only once the
    // contracts that use it have rows.
    expect(leaves(subjects).functions.sort()).toEqual(
      [
        'subjects.engine.instance',
        'subjects.events.torrent',
        'subjects.events.torrentAll',
        'subjects.events.torrentProgress',
      ].sort(),
    );
  });

  it('has a row for every KV bucket, stream and micro service', () => {
    expect(kvRules.map((r) => r.bucket).sort()).toEqual(Object.values(buckets).sort());
    expect(streamRules.map((r) => r.stream).sort()).toEqual(Object.values(streams).sort());
    expect(serviceRules.map((r) => r.name).sort()).toEqual(Object.values(serviceNames).sort());
  });
});

describe('least privilege', () => {
  it('never grants a catch-all, nor another service’s inbox', () => {
    for (const role of ROLES) {
      const all = [...perms[role].publish.allow, ...perms[role].subscribe.allow];
      for (const p of all) {
        expect(p, role).not.toBe('>');
        expect(p.split('.').length, `${role}: ${p}`).toBeGreaterThan(1);
        expect(p.startsWith('_INBOX') ? p === `${inbox(role)}.>` : true, `${role}: ${p}`).toBe(true);
        expect(['$JS.API.>', '$KV.>', '$SRV.>', 'bitween.>', 'bitween.v1.>']).not.toContain(p);
      }
      expect(perms[role].subscribe.allow).toContain(`${inbox(role)}.>`);
      for (const other of ROLES.filter((r) => r !== role)) {
        expect(canSubscribe(role, `${inbox(other)}.abc.1`), `${role} reads ${other}'s replies`).toBe(false);
      }
    }
  });

  it('keeps the gateway out of the engines, and the engines out of the account', () => {
    const pause = engine.pause.subject({ engineId: 'engine-1' });
    expect(publishers(pause)).toEqual(['api']);
    expect(canPublish('xmpp-gateway', subjects.engine.addHash)).toBe(false);
    expect(publishers(subjects.xmpp.setAccount)).toEqual(['api']);
    // The account's password travels in that request: only the gateway receives it.
    expect(subscribers(subjects.xmpp.setAccount)).toEqual(['xmpp-gateway']);
    expect(canPublish('torrent-engine', subjects.xmpp.approve)).toBe(false);
  });

  it('gives only the api the events stream and the settings; only engines write the registry', () => {
    const readsEvents = (r: Role) => canPublish(r, `$JS.API.CONSUMER.CREATE.${streams.events}`);
    expect(ROLES.filter(readsEvents)).toEqual(['api']);
    expect(publishers(`$KV.${buckets.settings}.engine`)).toEqual(['api']);
    expect(publishers(`$KV.${buckets.engines}.engine-1`)).toEqual(['torrent-engine']);
    expect(publishers(`$KV.${buckets.engineTorrents}.engine-1.${'a'.repeat(40)}`)).toEqual([
      'torrent-engine',
    ]);
    const readsEngineTorrents = (r: Role) =>
      canPublish(r, `$JS.API.CONSUMER.CREATE.KV_${buckets.engineTorrents}`);
    expect(ROLES.filter(readsEngineTorrents).sort()).toEqual(['api', 'torrent-engine', 'xmpp-gateway']);
    expect(publishers(`$KV.${buckets.torrentOwners}.${'a'.repeat(40)}`)).toEqual(['torrent-engine']);
    expect(publishers(`$KV.${buckets.friendAddresses}.current`)).toEqual(['xmpp-gateway']);
    // The engines learn friends' addresses from that allowlist, not from the lists themselves.
    expect(canPublish('torrent-engine', subjects.xmpp.shares)).toBe(false);
    expect(canSubscribe('torrent-engine', xmpp.contactShares.pattern)).toBe(false);
    expect(
      canPublish(
        'torrent-engine',
        `$JS.API.DIRECT.GET.KV_${buckets.friendAddresses}.$KV.${buckets.friendAddresses}.current`,
      ),
    ).toBe(true);
    expect(canPublish('api', `$JS.API.DIRECT.GET.KV_${buckets.friendAddresses}`)).toBe(false);
    expect(canPublish('xmpp-gateway', `$JS.API.DIRECT.GET.KV_${buckets.settings}`)).toBe(false);
    // Nobody may delete or purge a stream, nor list the others.
    for (const role of ROLES) {
      expect(canPublish(role, `$JS.API.STREAM.DELETE.KV_${buckets.engines}`)).toBe(false);
      expect(canPublish(role, `$JS.API.STREAM.PURGE.${streams.events}`)).toBe(false);
      expect(canPublish(role, '$JS.API.STREAM.LIST')).toBe(false);
    }
  });

  it('lets only services that answer requests answer (allow_responses)', () => {
    expect(perms['torrent-engine'].allow_responses).toBe(true);
    expect(perms['xmpp-gateway'].allow_responses).toBe(true);
    expect(perms.api.allow_responses).toBeUndefined();
  });
});

describe('describeTable', () => {
  it('lists every row for a maintainer', () => {
    const table = describeTable();
    for (const rule of commandRules) expect(table).toContain(rule.command.name);
    for (const rule of eventRules) expect(table).toContain(rule.event.name);
    for (const rule of kvRules) expect(table).toContain(rule.bucket);
    expect(table).toContain('`bitween.v1.engine.instance.*.pause`');
  });
});
