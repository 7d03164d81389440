/**
 * THE table of who may do what on bitween's NATS. Every subject, bucket, stream and micro
 * service in libs/messages (subjects.ts and the contracts built on it) has a row here; the
 * NATS user of each service gets exactly what its rows grant (`permissionsFor`), and nothing
 * else: no `>`, no other service's inbox. A new subject without a row fails this lib's tests
 * (permissions.test.ts); a row that grants too little fails the whole-node tests (nats-server
 * logs the violation and the harness fails the test).
 *
 * Reading a row: `torrent-engine serves engine.pause, asked by api` means the engine may
 * subscribe to `bitween.v1.engine.instance.*.pause` and answer the requests it receives
 * (`allow_responses`), and only the api may publish to it.
 */
import {
  buckets,
  engine,
  serviceNames,
  streams,
  subjects,
  xmpp,
  type AnyCommand,
  type AnyEvent,
} from '@bitween/messages';

export const ROLES = ['api', 'torrent-engine', 'xmpp-gateway'] as const;
/** A service of the product; one NATS user each (replicas of a service share it). */
export type Role = (typeof ROLES)[number];

export interface CommandRule {
  command: AnyCommand;
  /** Subscribes (in the command's queue group, if any) and answers. */
  servedBy: Role;
  /** May send the request. */
  askedBy: Role[];
  why?: string;
}

export interface EventRule {
  event: AnyEvent;
  publishedBy: Role;
  /** Subscribe to it on core NATS (the api also reads every event from the events stream). */
  heardBy: Role[];
  why?: string;
}

export interface ServiceRule {
  /** A NATS micro service name (`$SRV.PING|INFO|STATS[.<name>[.<id>]]`). */
  name: string;
  runBy: Role;
  /** May ping it and ask its info and stats. */
  discoveredBy: Role[];
}

export interface KvRule {
  bucket: string;
  /** put, create, update, delete (and read: a writer reads its own bucket). */
  writers: Role[];
  /** get, watch, keys. */
  readers: Role[];
  why?: string;
}

export interface StreamRule {
  stream: string;
  /** The subjects it records (what its readers can read). */
  captures: string;
  /** Creates it and updates its configuration (limits). */
  managers: Role[];
  /** Reads it with consumers and message gets. */
  readers: Role[];
}

// --- the table ------------------------------------------------------------------------------

export const commandRules: readonly CommandRule[] = [
  // Any engine (queue group): the api adds and browses.
  { command: engine.addPath, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.addHash, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.addTorrentFile, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.browse, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.shareFiles, servedBy: 'torrent-engine', askedBy: ['api'] },
  // One engine (bitween.v1.engine.instance.<engineId>.<verb>).
  { command: engine.remove, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.pause, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.resume, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.setFiles, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.setLimits, servedBy: 'torrent-engine', askedBy: ['api'] },
  // Transmission's controls: labels and seeding limits, verify, reannounce, pieces, free space.
  { command: engine.setOptions, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.verify, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.reannounce, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.pieces, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.peers, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.freeSpace, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.queueMove, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.setLocation, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.files, servedBy: 'torrent-engine', askedBy: ['api'] },
  {
    command: engine.list,
    servedBy: 'torrent-engine',
    askedBy: ['api', 'torrent-engine'],
    why: 'placement: an engine asks the owner of a torrent whether it really holds it',
  },
  // Streaming a file (HTTP Range): raw-bytes chunks from the engine that owns the torrent.
  { command: engine.read, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.streamClose, servedBy: 'torrent-engine', askedBy: ['api'] },
  { command: engine.setSequential, servedBy: 'torrent-engine', askedBy: ['api'] },
  // The gateway.
  { command: xmpp.shares, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.status, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.contacts, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.subscriptions, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.approve, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.deny, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.setAccount, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  // Friends behind routers: admission tickets, STUN/TURN servers, rendezvous.
  {
    command: xmpp.tickets,
    servedBy: 'xmpp-gateway',
    askedBy: ['torrent-engine'],
    why: 'secrets: the engines alone prove and check who a peer is',
  },
  { command: xmpp.iceServers, servedBy: 'xmpp-gateway', askedBy: ['torrent-engine'] },
  { command: xmpp.connect, servedBy: 'xmpp-gateway', askedBy: ['torrent-engine'] },
  // A share sent to a friend (XEP-0447 message) and the offers friends sent us.
  { command: xmpp.sendShare, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.offers, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.offerAccepted, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  { command: xmpp.dismissOffer, servedBy: 'xmpp-gateway', askedBy: ['api'] },
  {
    command: engine.connect,
    servedBy: 'torrent-engine',
    askedBy: ['xmpp-gateway'],
    why: "a contact's rendezvous (WebRTC offer, connection reversal) for a hash the engine holds",
  },
];

export const eventRules: readonly EventRule[] = [
  { event: engine.progress, publishedBy: 'torrent-engine', heardBy: ['api'] },
  { event: engine.added, publishedBy: 'torrent-engine', heardBy: ['api'] },
  { event: engine.removed, publishedBy: 'torrent-engine', heardBy: ['api'] },
  { event: xmpp.peers, publishedBy: 'xmpp-gateway', heardBy: ['torrent-engine'] },
  { event: xmpp.contactShares, publishedBy: 'xmpp-gateway', heardBy: ['api'] },
  { event: xmpp.contactChanged, publishedBy: 'xmpp-gateway', heardBy: ['api'] },
  { event: xmpp.ticketsChanged, publishedBy: 'xmpp-gateway', heardBy: ['torrent-engine'] },
  {
    event: xmpp.offerReceived,
    publishedBy: 'xmpp-gateway',
    heardBy: [],
    why: 'read by the api from the events stream only',
  },
  {
    event: xmpp.subscriptionRequest,
    publishedBy: 'xmpp-gateway',
    heardBy: [],
    why: 'read by the api from the events stream only',
  },
];

export const serviceRules: readonly ServiceRule[] = [
  { name: serviceNames.engine, runBy: 'torrent-engine', discoveredBy: ['api'] },
  { name: serviceNames.gateway, runBy: 'xmpp-gateway', discoveredBy: ['api'] },
];

export const kvRules: readonly KvRule[] = [
  {
    bucket: buckets.engines,
    writers: ['torrent-engine'],
    readers: ['api', 'xmpp-gateway'],
    why: 'each engine announces itself; the gateway advertises the endpoints, the api finds engines',
  },
  {
    bucket: buckets.engineTorrents,
    writers: ['torrent-engine'],
    readers: ['api', 'xmpp-gateway'],
    why: 'the torrents each engine holds: the gateway publishes them, the api finds owners',
  },
  { bucket: buckets.torrentOwners, writers: ['torrent-engine'], readers: [] },
  { bucket: buckets.settings, writers: ['api'], readers: ['torrent-engine'] },
  { bucket: buckets.transmissionIds, writers: ['api'], readers: [] },
  {
    bucket: buckets.friendAddresses,
    writers: ['xmpp-gateway'],
    readers: ['torrent-engine'],
    why: "the friends' address allowlist: the gateway keeps it from the lists, engines admit by it",
  },
  {
    bucket: buckets.shareVisibility,
    writers: ['api'],
    readers: ['xmpp-gateway', 'torrent-engine'],
    why: 'which roster groups see each share: set over the REST api, published by the gateway, enforced by the engines',
  },
];

export const streamRules: readonly StreamRule[] = [
  { stream: streams.events, captures: subjects.events.all, managers: ['api'], readers: ['api'] },
];

// --- from the table to NATS permissions ---------------------------------------------------

/** Stands for a subject parameter while a command's subject pattern is worked out. */
const PARAM = 'ZzParamZz';

/** The subject a command is served on, with `*` for each parameter (e.g. the engine id). */
export function commandPattern(command: AnyCommand): string {
  const params = new Proxy({}, { get: () => PARAM });
  return command
    .subject(params)
    .split('.')
    .map((token) => (token === PARAM ? '*' : token))
    .join('.');
}

/** The subjects of a NATS micro service's discovery requests (`$SRV.<verb>[.<name>[.<id>]]`). */
export function serviceSubjects(name: string): string[] {
  return ['PING', 'INFO', 'STATS'].flatMap((verb) => [
    `$SRV.${verb}`,
    `$SRV.${verb}.${name}`,
    `$SRV.${verb}.${name}.*`,
  ]);
}

/** JetStream API subjects to read a stream: info, message gets, (ordered) consumers, flow control. */
export function streamReadSubjects(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.FC.${stream}.>`,
  ];
}

const kvStream = (bucket: string) => `KV_${bucket}`;

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  /** May answer the requests it received (once each), nothing else on `_INBOX`. */
  allow_responses?: boolean;
}

/**
 * The permissions of one service's NATS user, from the table. `inboxPrefix` is where its own
 * replies arrive (`_INBOX.<its public key>`): only this user may subscribe there.
 */
export function permissionsFor(role: Role, inboxPrefix: string): NatsPermissions {
  const pub = new Set<string>();
  const sub = new Set<string>([`${inboxPrefix}.>`]);
  let responds = false;

  for (const rule of commandRules) {
    const subject = commandPattern(rule.command);
    if (rule.servedBy === role) {
      sub.add(subject);
      responds = true;
    }
    if (rule.askedBy.includes(role)) pub.add(subject);
  }
  for (const rule of eventRules) {
    if (rule.publishedBy === role) pub.add(rule.event.pattern);
    if (rule.heardBy.includes(role)) sub.add(rule.event.pattern);
  }
  for (const rule of serviceRules) {
    if (rule.runBy === role) {
      for (const s of serviceSubjects(rule.name)) sub.add(s);
      responds = true;
    }
    if (rule.discoveredBy.includes(role)) for (const s of serviceSubjects(rule.name)) pub.add(s);
  }
  let jetstream = false;
  for (const rule of kvRules) {
    const writes = rule.writers.includes(role);
    if (!writes && !rule.readers.includes(role)) continue;
    jetstream = true;
    const stream = kvStream(rule.bucket);
    // Every user of a bucket opens it with `Kvm.create` (creates it when it does not exist yet).
    pub.add(`$JS.API.STREAM.CREATE.${stream}`);
    for (const s of streamReadSubjects(stream)) pub.add(s);
    if (writes) pub.add(`$KV.${rule.bucket}.>`);
  }
  for (const rule of streamRules) {
    const manages = rule.managers.includes(role);
    if (!manages && !rule.readers.includes(role)) continue;
    jetstream = true;
    if (manages) {
      pub.add(`$JS.API.STREAM.CREATE.${rule.stream}`);
      pub.add(`$JS.API.STREAM.UPDATE.${rule.stream}`);
    }
    for (const s of streamReadSubjects(rule.stream)) pub.add(s);
  }
  // Account information: what `jetstreamManager()` checks before anything else.
  if (jetstream) pub.add('$JS.API.INFO');

  return {
    publish: { allow: [...pub] },
    subscribe: { allow: [...sub] },
    ...(responds ? { allow_responses: true } : {}),
  };
}

// --- for maintainers ----------------------------------------------------------------------

/** The table as Markdown (`bitween-nats-auth table`; docs and notes quote it). */
export function describeTable(): string {
  const roles = (list: readonly Role[]) => (list.length ? list.join(', ') : '—');
  const lines = ['| subject / resource | kind | granted to | asks / hears / reads |', '|---|---|---|---|'];
  for (const r of commandRules) {
    const q = r.command.queue ? ` (queue ${r.command.queue})` : '';
    lines.push(
      `| \`${commandPattern(r.command)}\` | command ${r.command.name}${q} | served by ${r.servedBy} | asked by ${roles(r.askedBy)} |`,
    );
  }
  for (const r of eventRules) {
    lines.push(
      `| \`${r.event.pattern}\` | event ${r.event.name} | published by ${r.publishedBy} | heard by ${roles(r.heardBy)} |`,
    );
  }
  for (const r of serviceRules) {
    lines.push(
      `| \`$SRV.*.${r.name}\` | micro service | run by ${r.runBy} | discovered by ${roles(r.discoveredBy)} |`,
    );
  }
  for (const r of kvRules) {
    lines.push(
      `| KV \`${r.bucket}\` | JetStream KV | written by ${roles(r.writers)} | read by ${roles(r.readers)} |`,
    );
  }
  for (const r of streamRules) {
    lines.push(
      `| stream \`${r.stream}\` (\`${r.captures}\`) | JetStream stream | managed by ${roles(r.managers)} | read by ${roles(r.readers)} |`,
    );
  }
  return lines.join('\n');
}
