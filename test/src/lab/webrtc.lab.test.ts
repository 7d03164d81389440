import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnChild, type Child } from '../harness/child.js';
import { Cleanup } from '../harness/cleanup.js';
import { repoRoot } from '../harness/service.js';
import { startLab, type Lab, type Turn } from './lab.js';
import { labUnavailable, tool } from './netns.js';

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const peerScript = join(repoRoot, 'test/src/lab/fixtures/webrtc-peer.mjs');

interface Connected {
  local: string;
  remote: string;
  localAddress: string;
  remoteAddress: string;
}

/** TURN REST API credentials (what Prosody's mod_turn_external computes from the shared secret). */
function turnCredentials(turn: Turn) {
  const username = `${Math.floor(Date.now() / 1000) + 3600}:lab`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { urls: [`turn:${turn.host}:${turn.port}?transport=udp`], username, credential };
}

/**
 * Two `webrtc-polyfill` peers (what the engines' WebRTC peers run on) in two homes' server namespaces,
 * signalled through the test; 1 MiB each way over a data channel. The candidate pair they used.
 */
async function connectPair(
  cleanup: Cleanup,
  lab: Lab,
  from: string,
  to: string,
  config: object,
): Promise<{ offerer: Connected; answerer: Connected }> {
  const start = async (home: string, role: 'offer' | 'answer'): Promise<Child> => {
    const child = await spawnChild(
      tool('ip'),
      [
        'netns',
        'exec',
        lab.homes[home]!.serverNs,
        process.execPath,
        peerScript,
        role,
        JSON.stringify(config),
      ],
      { cwd: repoRoot, stdin: true },
    );
    cleanup.add(`webrtc peer ${home}`, () => child.stop(2_000));
    return child;
  };
  const json = (l: string) => {
    try {
      return JSON.parse(l) as { sdp?: string; connected?: Connected; failed?: string };
    } catch {
      return {};
    }
  };
  const offerer = await start(from, 'offer');
  const answerer = await start(to, 'answer');
  const wait = (c: Child, key: 'sdp' | 'connected', what: string) =>
    c.output.wait((l) => json(l)[key] !== undefined || json(l).failed !== undefined, {
      what,
      timeoutMs: 60_000,
    });
  const offer = json(await wait(offerer, 'sdp', `${from}'s offer`));
  answerer.proc.stdin!.write(`${JSON.stringify(offer)}\n`);
  const answer = json(await wait(answerer, 'sdp', `${to}'s answer`));
  offerer.proc.stdin!.write(`${JSON.stringify(answer)}\n`);
  const [a, b] = await Promise.all([
    wait(offerer, 'connected', `${from} to connect`),
    wait(answerer, 'connected', `${to} to connect`),
  ]);
  for (const line of [a, b]) expect(json(line).failed).toBeUndefined();
  return { offerer: json(a).connected!, answerer: json(b).connected! };
}

/**
 * The lab's ground for issue 19's scenarios b, c and d, without bitween: WebRTC through the
 * lab's NATs and firewalls with the lab's coturn (STUN and TURN).
 */
describe.skipIf(unavailable !== null)(
  'network lab: WebRTC (ICE) between homes through NATs and coturn',
  () => {
    const cleanup = new Cleanup();
    let lab: Lab;
    let stun: { urls: string[] };

    beforeAll(async () => {
      lab = await startLab(cleanup, {
        homes: [
          { name: 'alice' },
          { name: 'bob' },
          { name: 'carol', nat: 'symmetric' },
          { name: 'dave', nat: 'symmetric' },
        ],
      });
      stun = { urls: [`stun:${lab.internet.stunAddress}:${lab.internet.stunPort}`] };
    });
    afterAll(() => cleanup.run());

    it('punches a hole through two endpoint-independent NATs (plain MASQUERADE) with STUN', async () => {
      const { offerer, answerer } = await connectPair(cleanup, lab, 'alice', 'bob', { iceServers: [stun] });
      console.log('alice ↔ bob', offerer, answerer);
      // Each reached the other at its router's address, not through a relay.
      expect(offerer.remoteAddress).toBe(lab.homes.bob!.publicAddress);
      expect(answerer.remoteAddress).toBe(lab.homes.alice!.publicAddress);
      expect([offerer.local, offerer.remote, answerer.local, answerer.remote]).not.toContain('relay');
    });

    it('relays through TURN between two symmetric NATs (MASQUERADE --random-fully)', async () => {
      const iceServers = [stun, turnCredentials(lab.internet.turn)];
      // ICE sometimes fails its first relay pair here (issue 19's open question); the engine then
      // retries relay-only (apps/torrent-engine/src/rtc/relay-fallback.ts), and so does this test.
      const { offerer, answerer } = await connectPair(cleanup, lab, 'carol', 'dave', { iceServers }).catch(
        (err: unknown) => {
          console.warn('carol ↔ dave: ICE failed, retrying relay-only as the engine does', err);
          return connectPair(cleanup, lab, 'carol', 'dave', { iceServers, iceTransportPolicy: 'relay' });
        },
      );
      console.log('carol ↔ dave', offerer, answerer);
      expect([offerer.local, offerer.remote]).toContain('relay');
      expect([offerer.localAddress, offerer.remoteAddress]).toContain(lab.internet.turn.host);
    });
  },
);

describe.skipIf(unavailable !== null)(
  'network lab: WebRTC (ICE) over IPv6 through stateful firewalls',
  () => {
    const cleanup = new Cleanup();
    let lab: Lab;

    beforeAll(async () => {
      // Symmetric IPv4 NATs and no TURN: IPv4 cannot connect, IPv6 must.
      lab = await startLab(cleanup, {
        homes: [
          { name: 'carol', nat: 'symmetric' },
          { name: 'dave', nat: 'symmetric' },
        ],
        ipv6: true,
      });
    });
    afterAll(() => cleanup.run());

    it('connects host to host over IPv6 with no firewall rule added by hand', async () => {
      const { offerer, answerer } = await connectPair(cleanup, lab, 'carol', 'dave', {
        iceServers: [{ urls: [`stun:${lab.internet.stunAddress}:${lab.internet.stunPort}`] }],
      });
      console.log('carol ↔ dave (IPv6)', offerer, answerer);
      expect(offerer.localAddress).toBe(lab.homes.carol!.serverAddress6);
      expect(offerer.remoteAddress).toBe(lab.homes.dave!.serverAddress6);
      expect(answerer.remoteAddress).toBe(lab.homes.carol!.serverAddress6);
    });
  },
);
