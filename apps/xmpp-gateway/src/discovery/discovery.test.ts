import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressDiscovery, stunLookup } from './public-address.js';
import { bindingRequest, bindingSuccess, parseBindingResponse } from './stun-codec.js';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('STUN codec', () => {
  it('round-trips a binding request and an XOR-MAPPED-ADDRESS answer', () => {
    const id = randomBytes(12);
    const req = bindingRequest(id);
    expect(req.readUInt16BE(0)).toBe(1);
    expect(req.subarray(8)).toEqual(id);
    expect(parseBindingResponse(bindingSuccess(id, { address: '203.0.113.7', port: 40000 }), id)).toEqual({
      address: '203.0.113.7',
      port: 40000,
    });
  });

  it('ignores other transactions, other message types and garbage', () => {
    const id = randomBytes(12);
    expect(
      parseBindingResponse(bindingSuccess(randomBytes(12), { address: '1.2.3.4', port: 1 }), id),
    ).toBeNull();
    expect(parseBindingResponse(bindingRequest(id), id)).toBeNull();
    expect(parseBindingResponse(Buffer.from('hello world, not stun at all'), id)).toBeNull();
    const truncated = bindingSuccess(id, { address: '1.2.3.4', port: 1 }).subarray(0, 26);
    expect(parseBindingResponse(truncated, id)).toBeNull();
  });
});

describe('stunLookup and AddressDiscovery (real UDP on loopback)', () => {
  const sockets: ReturnType<typeof createSocket>[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  async function stunServer(mapped: string): Promise<string> {
    const s = createSocket('udp4');
    sockets.push(s);
    s.on('message', (msg, rinfo) => {
      s.send(
        bindingSuccess(msg.subarray(8, 20), { address: mapped, port: rinfo.port }),
        rinfo.port,
        rinfo.address,
      );
    });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${s.address().port}`;
  }

  async function silentServer(): Promise<string> {
    const s = createSocket('udp4');
    sockets.push(s);
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${s.address().port}`;
  }

  it('learns the mapped address', async () => {
    expect(await stunLookup(await stunServer('203.0.113.7'), 5000)).toMatchObject({ address: '203.0.113.7' });
  });

  it('gives up after the timeout when nobody answers', async () => {
    expect(await stunLookup(await silentServer(), 300)).toBeNull();
  });

  it('starts without waiting, then reports configured and discovered addresses', async () => {
    const changes: string[][] = [];
    const server = await stunServer('203.0.113.7');
    const d = new AddressDiscovery({
      configured: ['198.51.100.1'],
      stunServer: server,
      stunTimeoutMs: 5000,
      stunIntervalMs: 600_000,
      log: silent,
      onChange: (a) => changes.push(a),
    });
    d.start(); // returns at once
    expect(changes).toEqual([['198.51.100.1']]);
    await expect.poll(() => changes.length, { timeout: 10_000 }).toBe(2);
    expect(changes[1]).toEqual(['198.51.100.1', '203.0.113.7']);
    d.stop();
  });

  it('without a configured server, uses the discovered one; off never asks', async () => {
    const changes: string[][] = [];
    const common = { configured: [], stunTimeoutMs: 5000, stunIntervalMs: 600_000, log: silent };
    const d = new AddressDiscovery({ ...common, onChange: (a) => changes.push(a) });
    d.start();
    expect(d.stunServer).toBeNull();
    d.useStunServer(await stunServer('203.0.113.8'));
    await expect.poll(() => changes.at(-1), { timeout: 10_000 }).toEqual(['203.0.113.8']);
    d.useStunServer(null); // the server no longer offers one: the discovered address goes
    expect(changes.at(-1)).toEqual([]);
    d.stop();

    const off = new AddressDiscovery({ ...common, stunServer: 'off', onChange: () => undefined });
    off.start();
    off.useStunServer(await stunServer('203.0.113.9'));
    expect(off.stunServer).toBeNull();
    off.stop();
  });
});
