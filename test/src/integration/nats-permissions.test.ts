/**
 * NATS authorization for real: a nats-server started with the configuration libs/nats-auth
 * generates (as `npm start` and docker compose start it), clients signed in with each service's
 * seed. Walks the whole permission table: what a row grants works, everything else is refused by
 * the server. The whole product running with these users is covered by every end-to-end test
 * (the harness starts each node's NATS with authorization and fails a test on any violation).
 */
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buckets, engine, serviceNames, streams, subjects, xmpp, type EngineState } from '@bitween/messages';
import {
  Bus,
  EngineRegistry,
  FriendAddressesStore,
  ServiceHost,
  SettingsStore,
  ShareVisibilityStore,
  TorrentClaims,
} from '@bitween/bus';
import { ROLES, commandPattern, commandRules, eventRules, kvRules, type Role } from '@bitween/nats-auth';
import { natsAuthOptions, natsInboxPrefix, readNatsSeedFile } from '@bitween/runtime';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Svcm } from '@nats-io/services';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  makeTempDir,
  silentLogger,
  startNats,
  startService,
  waitFor,
  type NatsServer,
} from '../harness/index.js';

const ENGINE_ID = 'engine-7';
const HASH = 'ab'.repeat(20);

/** A concrete subject of a command row (the engine id filled in). */
const concrete = (pattern: string) => pattern.replace('.*.', `.${ENGINE_ID}.`);

describe('NATS authorization: one user per service, each limited to its rows of the table', () => {
  const cleanup = new Cleanup();
  let nats: NatsServer;
  const nc = {} as Record<Role, NatsConnection>;

  /** Resolves once nats-server has logged a violation matching `re` (they are logged, not only answered). */
  const violationLogged = (re: RegExp) =>
    waitFor(() => nats.violations().some((v) => re.test(v)), {
      what: `nats-server to log a violation ${re}`,
    });

  /**
   * Whether the server refuses `role` a subscription to `subject`: it answers the SUB with an
   * error, which ends the subscription. The server answers a connection's operations in order, so
   * once the PING sent after the SUB has its PONG (a flush), an error for the SUB would have come:
   * a subscription still unrefused then is allowed.
   */
  async function subscribeOutcome(role: Role, subject: string): Promise<string> {
    let refusal: string | undefined;
    const sub = nc[role].subscribe(subject, {
      callback: (err) => {
        if (err && refusal === undefined)
          refusal = /Permissions Violation for Subscription/.test(err.message) ? 'refused' : err.message;
      },
    });
    await nc[role].flush();
    if (refusal !== undefined) return refusal;
    sub.unsubscribe();
    return 'allowed';
  }

  beforeAll(async () => {
    nats = await startNats(cleanup, { expectViolations: true });
    for (const role of ROLES) nc[role] = await nats.connect(role);
  });
  afterAll(() => cleanup.run());

  describe('who may connect', () => {
    it('refuses a client without credentials', async () => {
      await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(
        /Authorization Violation/,
      );
    });

    it('refuses a user it does not know, and a known public key without its seed', async () => {
      const stranger = createUser();
      await expect(
        connect({
          servers: nats.url,
          reconnect: false,
          ...natsAuthOptions({
            file: '-',
            seed: stranger.getSeed(),
            publicKey: stranger.getPublicKey(),
            mode: 0o600,
          }),
        }),
      ).rejects.toThrow(/Authorization Violation/);
      // Claiming the api's public key but signing with another key.
      await expect(
        connect({
          servers: nats.url,
          reconnect: false,
          authenticator: () => ({ nkey: nats.auth!.users.api.publicKey, sig: 'AAAA' }),
        }),
      ).rejects.toThrow(/Authorization Violation/);
    });

    it('signs each service in as its own user', () => {
      const keys = ROLES.map((r) => nats.auth!.users[r].publicKey);
      expect(new Set(keys).size).toBe(3);
      for (const role of ROLES) expect(nc[role].isClosed()).toBe(false);
    });
  });

  describe('commands: asked by whom the table says, served by one service', () => {
    beforeAll(() => {
      // Each command's server answers 'ok' on its concrete subject.
      for (const rule of commandRules) {
        const subject = concrete(commandPattern(rule.command));
        nc[rule.servedBy].subscribe(subject, {
          ...(rule.command.queue ? { queue: rule.command.queue } : {}),
          callback: (err, msg) => {
            if (!err) msg.respond('ok');
          },
        });
      }
      return Promise.all(ROLES.map((r) => nc[r].flush()));
    });

    it('answers every row to every service that may ask it', async () => {
      for (const rule of commandRules) {
        const subject = concrete(commandPattern(rule.command));
        for (const role of rule.askedBy) {
          const reply = await nc[role].request(subject, '{}', { timeout: 5_000 });
          expect(reply.string(), `${role} asks ${rule.command.name}`).toBe('ok');
        }
      }
    });

    it('refuses the request of every other service', async () => {
      for (const rule of commandRules) {
        const subject = concrete(commandPattern(rule.command));
        for (const role of ROLES.filter((r) => !rule.askedBy.includes(r))) {
          await expect(
            nc[role].request(subject, '{}', { timeout: 5_000 }),
            `${role} must not ask ${rule.command.name}`,
          ).rejects.toThrow(/Permissions Violation for Publish/);
        }
      }
      // The attack of the issue: pausing a torrent on the engines without the API key.
      await violationLogged(
        /Publish Violation - xmpp-gateway, Subject "bitween\.v1\.engine\.instance\.engine-7\.pause"/,
      );
      await violationLogged(/Publish Violation - torrent-engine, Subject "bitween\.v1\.xmpp\.account\.set"/);
    });

    it('lets nobody but the serving service listen on a command (the account password, the engines’ work)', async () => {
      for (const rule of commandRules) {
        const subject = commandPattern(rule.command);
        for (const role of ROLES.filter((r) => r !== rule.servedBy)) {
          expect(await subscribeOutcome(role, subject), `${role} listening on ${rule.command.name}`).toBe(
            'refused',
          );
        }
      }
    });
  });

  describe('events: published by one service, heard by whom the table says', () => {
    it('delivers each event to the services that hear it', async () => {
      for (const rule of eventRules) {
        const subject = rule.event.pattern.replace('*', HASH);
        const received = rule.heardBy.map((role) => {
          const sub = nc[role].subscribe(rule.event.pattern, { max: 1 });
          return (async () => {
            for await (const m of sub) return m.subject;
            return null;
          })();
        });
        await Promise.all(rule.heardBy.map((r) => nc[r].flush()));
        nc[rule.publishedBy].publish(subject, '{}');
        expect(await Promise.all(received), rule.event.name).toEqual(rule.heardBy.map(() => subject));
      }
    });

    it('refuses events from anyone else, and listening to them by anyone else', async () => {
      for (const rule of eventRules) {
        for (const role of ROLES.filter((r) => r !== rule.publishedBy)) {
          nc[role].publish(rule.event.pattern.replace('*', HASH), '{}');
        }
        for (const role of ROLES.filter((r) => !rule.heardBy.includes(r))) {
          expect(await subscribeOutcome(role, rule.event.pattern), `${role} hears ${rule.event.name}`).toBe(
            'refused',
          );
        }
      }
      await violationLogged(/Publish Violation - api, Subject "bitween\.v1\.evt\.xmpp\.peers"/);
      await violationLogged(
        /Publish Violation - xmpp-gateway, Subject "bitween\.v1\.evt\.torrent\.a.*\.added"/,
      );
      // Nobody listens to everything: not even the api (it reads events from the stream).
      for (const role of ROLES) {
        expect(await subscribeOutcome(role, subjects.events.all), role).toBe('refused');
        expect(await subscribeOutcome(role, '>'), role).toBe('refused');
      }
    });
  });

  describe('replies stay with whoever asked', () => {
    it("refuses another service's inbox, and all inboxes", async () => {
      const apiInbox = natsInboxPrefix(nats.auth!.users.api.publicKey);
      for (const role of ['torrent-engine', 'xmpp-gateway'] as const) {
        expect(await subscribeOutcome(role, `${apiInbox}.>`), role).toBe('refused');
        expect(await subscribeOutcome(role, '_INBOX.>'), role).toBe('refused');
      }
    });

    it('lets a service answer a request it received, but not publish into an inbox unasked', async () => {
      const gwInbox = natsInboxPrefix(nats.auth!.users['xmpp-gateway'].publicKey);
      nc['torrent-engine'].publish(`${gwInbox}.fake.1`, 'forged reply');
      await violationLogged(/Publish Violation - torrent-engine, Subject "_INBOX\.U[A-Z2-7]+\.fake\.1"/);
    });
  });

  describe('micro services: discovered by the api', () => {
    it('answers the api’s $SRV.PING; nobody else may ask', async () => {
      const bus = new Bus(nc['torrent-engine'], silentLogger);
      const host = await ServiceHost.start(bus, { name: serviceNames.engine, version: '0.0.0' });
      cleanup.add('service host', () => host.stop());
      // Ends 300 ms after the first answer; maxWait only bounds a missing one (a busy machine can
      // take seconds to answer: not a timing goal).
      const pings = await new Svcm(nc.api)
        .client({ strategy: 'stall', maxWait: 30_000, stall: 300 })
        .ping(serviceNames.engine);
      const names: string[] = [];
      for await (const p of pings) names.push(p.name);
      expect(names).toEqual([serviceNames.engine]);
      nc['xmpp-gateway'].publish(`$SRV.PING.${serviceNames.engine}`, '');
      await violationLogged(
        /Publish Violation - xmpp-gateway, Subject "\$SRV\.PING\.bitween-torrent-engine"/,
      );
      // A gateway cannot pose as an engine on discovery.
      expect(await subscribeOutcome('xmpp-gateway', `$SRV.PING.${serviceNames.engine}`)).toBe('refused');
    });
  });

  describe('JetStream: buckets and the events stream', () => {
    const state: EngineState = {
      engineId: ENGINE_ID,
      version: '0.0.0',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: [{ hash: HASH, name: 'holiday', size: 10 }],
      heartbeatMs: 60_000,
    };

    it('lets the engines write the registry, the api and the gateway read and watch it, nobody else write it', async () => {
      const byEngine = await EngineRegistry.open(nc['torrent-engine'], silentLogger);
      await byEngine.announce(state);
      for (const role of ['api', 'xmpp-gateway'] as const) {
        const registry = await EngineRegistry.open(nc[role], silentLogger);
        expect(
          (await registry.live()).map((e) => e.state.engineId),
          role,
        ).toEqual([ENGINE_ID]);
        // Its torrents are keys of their own (bitween_engine_torrents), read back with the entry.
        expect((await registry.live())[0]?.state.torrents, role).toEqual(state.torrents);
        await expect(registry.torrentsKv.put(`${ENGINE_ID}.${HASH}`, '{}'), role).rejects.toThrow(
          /Permissions Violation/,
        );
        const seen = new Promise<string>((resolve) => {
          void registry.watch((id) => resolve(id)).then((stop) => cleanup.add(`${role} watch`, stop));
        });
        expect(await seen).toBe(ENGINE_ID);
        await expect(registry.announce({ ...state, engineId: 'forged' }), role).rejects.toThrow(
          /Permissions Violation/,
        );
      }
    });

    it('lets only the api change the settings, and the engines follow them', async () => {
      const forEngine = await SettingsStore.open(nc['torrent-engine'], silentLogger);
      const seen: (number | null)[] = [];
      const stop = await forEngine.watchEngine((s) => seen.push(s.uploadLimit));
      cleanup.add('settings watch', stop);
      const forApi = await SettingsStore.open(nc.api, silentLogger);
      await forApi.updateEngine({ uploadLimit: 12345 });
      await waitFor(() => seen.includes(12345), { what: 'the engine to see the new settings' });
      await expect(forEngine.updateEngine({ uploadLimit: 1 })).rejects.toThrow(/Permissions Violation/);
      // The gateway has no business with the settings at all.
      await expect(SettingsStore.open(nc['xmpp-gateway'], silentLogger)).rejects.toThrow(
        /Permissions Violation/,
      );
    });

    it('keeps the torrent claims to the engines and the Transmission ids to the api', async () => {
      const claims = await TorrentClaims.open(
        nc['torrent-engine'],
        { engineId: ENGINE_ID, incarnation: 'x' },
        silentLogger,
      );
      expect(await claims.claim(HASH, () => false)).toEqual({ won: true });
      for (const role of ['api', 'xmpp-gateway'] as const) {
        await expect(new Kvm(nc[role]).create(buckets.torrentOwners), role).rejects.toThrow(
          /Permissions Violation/,
        );
      }
      const ids = await new Kvm(nc.api).create(buckets.transmissionIds, { history: 1 });
      await ids.put('seq', '1');
      for (const role of ['torrent-engine', 'xmpp-gateway'] as const) {
        await expect(
          new Kvm(nc[role]).open(buckets.transmissionIds).then((kv) => kv.get('seq')),
          role,
        ).rejects.toThrow(/Permissions Violation/);
      }
      // Every row is exercised somewhere in this file.
      expect(kvRules.map((r) => r.bucket).sort()).toEqual(
        [
          buckets.engines,
          buckets.engineTorrents,
          buckets.settings,
          buckets.torrentOwners,
          buckets.transmissionIds,
          buckets.friendAddresses,
          buckets.shareVisibility,
        ].sort(),
      );
    });

    it("lets only the gateway write the friends' address allowlist, and the engines follow it", async () => {
      const forEngine = await FriendAddressesStore.open(nc['torrent-engine'], silentLogger);
      const seen: string[][] = [];
      const stop = await forEngine.watch(({ friends }) => seen.push(friends.map((f) => f.jid)));
      cleanup.add('friend addresses watch', stop);
      const forGateway = await FriendAddressesStore.open(nc['xmpp-gateway'], silentLogger);
      const value = {
        friends: [{ jid: 'bob@example.org', addresses: ['203.0.113.5'] }],
        updatedAt: Date.now(),
      };
      await forGateway.put(value);
      await waitFor(() => seen.some((jids) => jids.includes('bob@example.org')), {
        what: 'the engine to see the allowlist',
      });
      await expect(forEngine.put({ friends: [], updatedAt: Date.now() })).rejects.toThrow(
        /Permissions Violation/,
      );
      // The api has no business with it.
      await expect(FriendAddressesStore.open(nc.api, silentLogger)).rejects.toThrow(/Permissions Violation/);
    });

    it('lets only the api set which roster groups see a share, and the gateway and engines follow it', async () => {
      const forApi = await ShareVisibilityStore.open(nc.api, silentLogger);
      for (const role of ['xmpp-gateway', 'torrent-engine'] as const) {
        const follower = await ShareVisibilityStore.open(nc[role], silentLogger);
        const seen: (readonly string[] | undefined)[] = [];
        const stop = await follower.watch((visibility) => seen.push(visibility.get(HASH)));
        cleanup.add(`share visibility watch (${role})`, stop);
        const group = `family-${role}`;
        await forApi.set(HASH, [group]);
        await waitFor(() => seen.some((groups) => groups?.includes(group)), {
          what: `the ${role} to see the restriction`,
        });
        await expect(follower.set(HASH, ['work']), role).rejects.toThrow(/Permissions Violation/);
      }
    });

    it('lets only the api keep and read the events stream (every event, in order)', async () => {
      const jsm = await jetstreamManager(nc.api);
      await jsm.streams.add({ name: streams.events, subjects: [subjects.events.all] });
      await jsm.streams.update(streams.events, { subjects: [subjects.events.all], max_msgs: 1000 });
      // Two publishers on two connections: the second publishes once the stream holds the first.
      const stored = (n: number) => async () => (await jsm.streams.info(streams.events)).state.messages >= n;
      const before = (await jsm.streams.info(streams.events)).state.messages;
      nc['xmpp-gateway'].publish(
        xmpp.subscriptionRequest.subject(),
        JSON.stringify({ jid: 'eve@x', receivedAt: 1 }),
      );
      await waitFor(stored(before + 1), { what: 'the stream to store the first event' });
      nc['torrent-engine'].publish(engine.added.subject({ hash: HASH }), '{}');
      await waitFor(stored(before + 2), { what: 'the stream to store the second event' });
      const consumer = await jetstream(nc.api).consumers.get(streams.events);
      const read: string[] = [];
      await waitFor(
        async () => {
          const m = await consumer.next({ expires: 1_000 });
          if (m) read.push(m.subject);
          return read.length >= 2;
        },
        { what: 'the api to read two events' },
      );
      expect(read).toEqual([xmpp.subscriptionRequest.subject(), engine.added.subject({ hash: HASH })]);
      for (const role of ['torrent-engine', 'xmpp-gateway'] as const) {
        // No consumer on the stream, no message from it, not even its info.
        for (const api of [
          `CONSUMER.CREATE.${streams.events}`,
          `STREAM.MSG.GET.${streams.events}`,
          `STREAM.INFO.${streams.events}`,
        ]) {
          await expect(
            nc[role].request(`$JS.API.${api}`, '{}', { timeout: 5_000 }),
            `${role} ${api}`,
          ).rejects.toThrow(/Permissions Violation for Publish/);
        }
        const other = await jetstreamManager(nc[role]);
        await expect(other.streams.delete(streams.events), role).rejects.toThrow(/Permissions Violation/);
        // Nor can anyone make a stream that records the account requests (the password).
        await expect(
          other.streams.add({ name: 'SNOOP', subjects: [subjects.xmpp.setAccount] }),
          role,
        ).rejects.toThrow(/Permissions Violation/);
      }
    });
  });

  describe('the services refuse to start with credentials that cannot work', () => {
    const engineEnvFor = (dir: string, seed: Record<string, string>) =>
      engineEnv({
        natsUrl: nats.url,
        engineId: 'e-bad',
        downloads: join(dir, 'dl'),
        state: join(dir, 'st'),
        extra: seed,
      });

    it('without credentials against this server: NATS requires authentication, and the error names the variable', async () => {
      const dir = await makeTempDir('nats-perm');
      const failure = startService(cleanup, {
        name: 'torrent-engine',
        label: 'nats-perm-no-seed',
        env: engineEnvFor(dir, { BITWEEN_NATS_NKEY_SEED_FILE: '' }),
      });
      await expect(failure).rejects.toThrow(/requires authentication: set BITWEEN_NATS_NKEY_SEED_FILE/);
    });

    it('with a seed file others can read: a configuration error naming the variable, before any connection', async () => {
      const dir = await makeTempDir('nats-perm');
      const leaked = join(dir, 'seed.nk');
      copyFileSync(nats.seedFile('torrent-engine'), leaked);
      chmodSync(leaked, 0o644);
      await expect(
        startService(cleanup, {
          name: 'torrent-engine',
          label: 'nats-perm-leaked-seed',
          env: engineEnvFor(dir, { BITWEEN_NATS_NKEY_SEED_FILE: leaked }),
        }),
      ).rejects.toThrow(/BITWEEN_NATS_NKEY_SEED_FILE: .*readable or writable by other users/);
    });

    it('with a seed the server does not know: refused, naming the file and the variable', async () => {
      const dir = await makeTempDir('nats-perm');
      const other = join(dir, 'other.nk');
      writeFileSync(other, `${new TextDecoder().decode(createUser().getSeed())}\n`, { mode: 0o600 });
      await expect(
        startService(cleanup, {
          name: 'torrent-engine',
          label: 'nats-perm-unknown-seed',
          env: engineEnvFor(dir, { BITWEEN_NATS_NKEY_SEED_FILE: other }),
        }),
      ).rejects.toThrow(/refused the credentials in .*other\.nk \(BITWEEN_NATS_NKEY_SEED_FILE/);
      expect(readNatsSeedFile(other).publicKey).not.toBe(nats.auth!.users['torrent-engine'].publicKey);
    });
  });
});
