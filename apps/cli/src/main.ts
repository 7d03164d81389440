#!/usr/bin/env node
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ApiClient, ApiError } from './client.js';
import { CliError, dataDirOf, readKey, resolveConnection, type ConnectionFlags } from './config.js';
import { bytes, percent, rate, table } from './format.js';
import { shownId, shownName } from './names.js';
import { readPassword } from './password.js';
import { reachabilityLines, verdictText } from './reachability.js';
import type {
  Account,
  Added,
  Contact,
  EngineStatus,
  Event,
  FriendShare,
  Offer,
  Pending,
  Status,
  Torrent,
} from './types.js';
import { ProgressBoard, followEvents } from './watch.js';

interface GlobalOptions extends ConnectionFlags {
  json?: boolean;
}

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('bitween')
  .description("bitween: friend-to-friend file sharing. A client of the daemon's REST api.")
  .version(version, '-V, --version', "print the CLI's version (the daemon's: bitween status)")
  .addOption(new Option('--url <url>', 'api URL').env('BITWEEN_API_URL'))
  .addOption(
    new Option('--api-key <key>', 'API key (default: read from the data directory)').env('BITWEEN_API_KEY'),
  )
  .addOption(
    new Option('--data-dir <dir>', "the api's data directory, holding api-key").env('BITWEEN_DATA_DIR'),
  )
  .option('--json', 'print JSON (for scripts)')
  .showHelpAfterError();

const opts = (): GlobalOptions => program.opts<GlobalOptions>();
const api = async () => new ApiClient(await resolveConnection(opts()));
const print = (value: unknown, text: () => string) => {
  console.log(opts().json ? JSON.stringify(value, null, 2) : text());
};
const hashArg = (h: string) => encodeURIComponent(h.trim());

const torrentRow = (t: Torrent) => [
  t.hash,
  t.state,
  percent(t.progress),
  bytes(t.size),
  t.done ? rate(t.uploadSpeed) : rate(t.downloadSpeed),
  shownName(t.name, '(metadata pending)'),
];

program
  .command('list')
  .description('own torrents: shared and downloading')
  .action(async () => {
    const { torrents } = await (await api()).get<{ torrents: Torrent[] }>('/v1/torrents');
    print(torrents, () =>
      torrents.length === 0
        ? 'no torrents'
        : table(['HASH', 'STATE', 'DONE', 'SIZE', 'RATE', 'NAME'], torrents.map(torrentRow)),
    );
  });

program
  .command('shares')
  .description("friends' shares")
  .option('-s, --search <words>', 'only names containing all these words (any case)')
  .option('--jid <jid>', "only this contact's shares")
  .action(async (o: { search?: string; jid?: string }) => {
    const q = new URLSearchParams();
    if (o.search) q.set('q', o.search);
    if (o.jid) q.set('jid', o.jid);
    const { shares } = await (
      await api()
    ).get<{ shares: FriendShare[] }>(`/v1/shares${q.size ? `?${q.toString()}` : ''}`);
    print(shares, () =>
      shares.length === 0
        ? 'no shares'
        : table(
            ['HASH', 'SIZE', 'NAME', 'FROM'],
            shares.map((s) => [
              s.hash,
              bytes(s.size),
              shownName(s.name),
              [...new Set(s.sources.map((x) => `${shownId(x.jid)}${x.online ? '' : ' (offline)'}`))].join(
                ', ',
              ),
            ]),
          ),
    );
  });

program
  .command('share')
  .description("share a file or folder (a path on the daemon's host)")
  .argument('<path>', 'file or folder; relative paths are taken from the current directory')
  .action(async (path: string) => {
    const added = await (await api()).post<Added>('/v1/torrents', { path: resolve(path) });
    print(
      added,
      () =>
        `${added.created ? 'sharing' : 'already shared'} ${added.torrent.hash} ${shownName(added.torrent.name, '')}`,
    );
  });

program
  .command('get')
  .description("download a friend's share by info-hash (or a magnet link)")
  .argument('<hash>', '40 hex characters, or magnet:?xt=urn:btih:…')
  .option('-d, --dest <dir>', "folder to save into (default: the engine's download folder)")
  .action(async (hash: string, o: { dest?: string }) => {
    const source = /^magnet:/i.test(hash) ? { magnet: hash } : { hash };
    const added = await (
      await api()
    ).post<Added>('/v1/torrents', { ...source, ...(o.dest ? { savePath: resolve(o.dest) } : {}) });
    print(
      added,
      () =>
        `${added.created ? 'downloading' : 'already there'} ${added.torrent.hash} → ${added.torrent.savePath}`,
    );
  });

for (const verb of ['pause', 'resume'] as const) {
  program
    .command(verb)
    .description(`${verb} a torrent`)
    .argument('<hash>')
    .action(async (hash: string) => {
      const { torrent } = await (
        await api()
      ).post<{ torrent: Torrent }>(`/v1/torrents/${hashArg(hash)}/${verb}`);
      print(torrent, () => `${torrent.hash} ${torrent.state}`);
    });
}

program
  .command('rm')
  .description('remove a torrent (files stay unless --delete-data)')
  .argument('<hash>')
  .option('--delete-data', 'also delete its files')
  .action(async (hash: string, o: { deleteData?: boolean }) => {
    await (
      await api()
    ).request('DELETE', `/v1/torrents/${hashArg(hash)}${o.deleteData ? '?deleteData=true' : ''}`);
    print({ removed: hash }, () => `removed ${hash}${o.deleteData ? ' and its files' : ''}`);
  });

program
  .command('contacts')
  .description('XMPP contacts, online state and pending subscription requests')
  .action(async () => {
    const client = await api();
    const [{ contacts }, { pending }] = await Promise.all([
      client.get<{ contacts: Contact[] }>('/v1/contacts'),
      client.get<{ pending: Pending[] }>('/v1/subscriptions'),
    ]);
    print({ contacts, pending }, () => {
      const lines = [
        contacts.length === 0
          ? 'no contacts'
          : table(
              ['JID', 'ONLINE', 'SHARES', 'SUBSCRIPTION', 'NAME'],
              contacts.map((c) => [
                shownId(c.jid),
                c.online ? `yes (${c.resources.map(shownId).join(', ')})` : 'no',
                String(c.shares),
                c.subscription,
                shownName(c.name, ''),
              ]),
            ),
      ];
      if (pending.length > 0)
        lines.push(
          '',
          'pending requests (bitween approve JID):',
          ...pending.map((p) => `  ${shownId(p.jid)}`),
        );
      return lines.join('\n');
    });
  });

for (const verb of ['approve', 'deny'] as const) {
  program
    .command(verb)
    .description(`${verb} a pending subscription request`)
    .argument('<jid>', 'bare JID: user@domain')
    .action(async (jid: string) => {
      const r = await (
        await api()
      ).post<{ jid: string; approved: boolean }>(`/v1/subscriptions/${encodeURIComponent(jid)}/${verb}`);
      print(r, () => `${verb === 'approve' ? 'approved' : 'denied'} ${r.jid}`);
    });
}

program
  .command('send')
  .description('send one of your shares to a contact (an XMPP message with its magnet link)')
  .argument('<jid>', "the contact's bare JID: user@domain")
  .argument('<hash>', 'info-hash of one of your shares')
  .action(async (jid: string, hash: string) => {
    const r = await (
      await api()
    ).post<{ jid: string; hash: string; magnet: string }>(`/v1/contacts/${encodeURIComponent(jid)}/send`, {
      hash: hash.trim(),
    });
    print(r, () => `sent ${r.hash} to ${shownId(r.jid)}\n${r.magnet}`);
  });

const offers = program
  .command('offers')
  .description('shares friends sent you (bitween offers accept ID | dismiss ID)');
offers
  .command('list', { isDefault: true })
  .description('list them, newest first')
  .action(async () => {
    const r = await (await api()).get<{ offers: Offer[] }>('/v1/offers');
    print(r, () =>
      r.offers.length === 0
        ? 'no shares sent to you'
        : table(
            ['ID', 'FROM', 'SIZE', 'ACCEPTED', 'NAME'],
            r.offers.map((o) => [
              o.id,
              shownId(o.from),
              bytes(o.size),
              o.acceptedAt === null ? 'no' : 'yes',
              shownName(o.name),
            ]),
          ),
    );
  });
offers
  .command('accept')
  .description('download it (from the friend who sent it)')
  .argument('<id>', 'the offer id (bitween offers)')
  .action(async (id: string) => {
    const r = await (
      await api()
    ).post<{ offer: Offer; added: Added }>(`/v1/offers/${encodeURIComponent(id.trim())}/accept`);
    print(r, () => `downloading ${shownName(r.offer.name)} (${r.offer.hash}) from ${shownId(r.offer.from)}`);
  });
offers
  .command('dismiss')
  .description('forget it')
  .argument('<id>', 'the offer id (bitween offers)')
  .action(async (id: string) => {
    await (await api()).request('DELETE', `/v1/offers/${encodeURIComponent(id.trim())}`);
    print({ dismissed: id }, () => `dismissed ${id}`);
  });

program
  .command('status')
  .description('daemon status')
  .action(async () => {
    const s = await (await api()).get<Status>('/v1/status');
    print(s, () => {
      const xmpp =
        'error' in s.xmpp
          ? `unavailable (${s.xmpp.error})`
          : s.xmpp.configured === false
            ? 'no account configured (bitween account set JID)'
            : `${s.xmpp.online ? 'online' : 'offline'} as ${s.xmpp.jid}, ${s.xmpp.contacts} contacts`;
      const engines = Array.isArray(s.engines)
        ? s.engines
            .map(
              (e) =>
                `${e.engineId} (${e.torrents} torrents, ${e.endpoints.map((p) => `${p.address}:${p.port}`).join(' ')})`,
            )
            .join('; ') || 'none live'
        : `unavailable (${s.engines.error})`;
      const reach = Array.isArray(s.engines)
        ? s.engines.map((e) => `reach:    ${e.engineId}: ${verdictText(e)} (details: bitween reachability)`)
        : [];
      return [
        `bitween ${s.version}`,
        `nats:     ${s.nats}`,
        `xmpp:     ${xmpp}`,
        `engines:  ${engines}`,
        ...reach,
        `torrents: ${s.torrents.total}`,
        `events:   ${s.events ? `ids ${s.events.firstId}..${s.events.lastId}` : 'unavailable'}`,
      ].join('\n');
    });
  });

program
  .command('reachability')
  .description('can my friends reach me? per engine: verdict, public addresses, port mapping, connections')
  .action(async () => {
    const { engines } = await (await api()).get<Status>('/v1/status');
    if (!Array.isArray(engines)) throw new CliError(`engines unavailable: ${engines.error}`, 1);
    const json = engines.map(({ engineId, reachability, portMapping, connections, admission }) => ({
      engineId,
      reachability,
      portMapping,
      connections,
      admission,
    }));
    print(json, () =>
      engines.length === 0
        ? 'no engine is running'
        : engines.map((e: EngineStatus) => reachabilityLines(e).join('\n')).join('\n\n'),
    );
  });

program
  .command('watch')
  .description('live progress of every torrent (with --json: one event per line)')
  .action(async () => {
    const client = await api();
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    if (opts().json) {
      await followEvents(client, abort.signal, (e: Event) => console.log(JSON.stringify(e)));
      return;
    }
    const board = new ProgressBoard();
    try {
      const { torrents } = await client.get<{ torrents: Torrent[] }>('/v1/torrents');
      for (const t of torrents) board.update(t);
      await followEvents(client, abort.signal, (e) => board.event(e));
    } finally {
      board.stop();
    }
  });

const account = program.command('account').description('the XMPP account bitween logs into');
account
  .command('show', { isDefault: true })
  .description('show the account and whether it is logged in')
  .action(async () => {
    const a = await (await api()).get<Account>('/v1/account');
    print(a, () =>
      a.configured
        ? `${a.jid ?? '?'} (${a.online ? 'online' : 'offline'}; set ${a.source === 'environment' ? 'by BITWEEN_XMPP_JID' : 'through the API'})`
        : 'no account configured: bitween account set JID',
    );
  });
account
  .command('set <jid>')
  .description(
    'set the account (first run) or change it; the password is read from the terminal, or from stdin when piped',
  )
  .option('--service <url>', 'xmpp://host:port or xmpps://host:port (default: DNS SRV of the domain)')
  .action(async (jid: string, o: { service?: string }) => {
    const password = await readPassword(`password for ${jid}: `);
    const r = await (
      await api()
    ).request<{ jid: string; online: boolean }>('PUT', '/v1/account', {
      jid,
      password,
      ...(o.service ? { service: o.service } : {}),
    });
    print(r, () => `account set: ${r.jid} (${r.online ? 'online' : 'logging in'})`);
  });

program
  .command('api-key')
  .description("print the API key from the api's data directory")
  .action(async () => {
    console.log(await readKey(dataDirOf(opts(), process.env)));
  });

try {
  await program.parseAsync();
} catch (err) {
  const known = err instanceof CliError;
  process.exitCode = known ? err.exitCode : 1;
  if (opts().json) {
    // Under --json an error is JSON too (on stderr), so scripts never parse prose.
    const status = err instanceof ApiError ? { status: err.status } : {};
    console.error(JSON.stringify({ error: { message: (err as Error).message ?? String(err), ...status } }));
  } else if (known) {
    console.error(`bitween: ${err.message}`);
  } else {
    console.error(`bitween: ${(err as Error).stack ?? String(err)}`);
  }
}
