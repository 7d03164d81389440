import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { announcedEndpoints } from './addresses.js';
import { loadEngineConfig } from './config.js';
import { NetworkCheck } from './network-check.js';
import type { GrantedMapping } from './port-mapping/lease-schedule.js';
import type { MapperClient } from './port-mapping/mapper-client.js';
import { PinholeSet } from './port-mapping/pinhole-set.js';
import { PortMapping } from './port-mapping/port-mapping.js';

function recorder() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_obj: unknown, msg?: string) => lines.push({ level, msg: msg ?? '' });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const LEASE_MS = 3_600_000;
const INTERVAL_MS = 300_000;

/** A NAT router whose external address the test changes (the ISP gives the home a new one). */
function natRouter(external: { address: string }) {
  const calls = { map: 0 };
  const client: MapperClient = {
    map: (internalPort, leaseMs) => {
      calls.map++;
      const g: GrantedMapping = {
        protocol: 'nat-pmp',
        externalAddress: external.address,
        externalPort: 40_001,
        internalPort,
        leaseMs,
      };
      return Promise.resolve(g);
    },
    unmap: () => Promise.resolve(),
  };
  return { client, calls };
}

/** A firewall-only IPv6 router granting pinholes (PCP): which addresses are open. */
function ipv6Router() {
  const open = new Set<string>();
  const client = (address: string): MapperClient => ({
    map: (internalPort, leaseMs) => {
      open.add(address);
      return Promise.resolve({
        protocol: 'pcp',
        externalAddress: address,
        externalPort: internalPort,
        internalPort,
        leaseMs,
      });
    },
    unmap: () => {
      open.delete(address);
      return Promise.resolve();
    },
  });
  return { open, client };
}

/** Up to the next check, and the router's answer to what it asked (a timer of 0, i.e. 1 ms). */
async function nextCheck() {
  await vi.advanceTimersByTimeAsync(INTERVAL_MS);
  await vi.advanceTimersByTimeAsync(10);
}

describe('NetworkCheck', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  const mappingOf = (client: MapperClient, log: ReturnType<typeof recorder>['log']) =>
    new PortMapping({
      client,
      internalPort: 8001,
      leaseMs: LEASE_MS,
      retryMs: 30_000,
      maxRetryMs: 600_000,
      log,
    });

  it("notices the router's new public IPv4 within one interval, long before the lease is renewed", async () => {
    const external = { address: '203.0.113.10' };
    const { client, calls } = natRouter(external);
    const { lines, log } = recorder();
    const mapping = mappingOf(client, log);
    const check = new NetworkCheck({
      read: () => ['192.168.1.20'],
      initial: ['192.168.1.20'],
      intervalMs: INTERVAL_MS,
      log,
      portMapping: mapping,
      pinholes: null,
    });
    mapping.start();
    check.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(mapping.external()).toEqual({ address: '203.0.113.10', port: 40_001 });

    // An unchanged address: asked again each interval, the same endpoint, no info line.
    await nextCheck();
    expect(calls.map).toBe(2);
    expect(mapping.external()).toEqual({ address: '203.0.113.10', port: 40_001 });
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['port mapped on the router']);

    external.address = '198.51.100.77';
    await nextCheck();
    expect(Date.now()).toBeLessThan(LEASE_MS / 2); // not the renewal: the check found it
    expect(mapping.external()).toEqual({ address: '198.51.100.77', port: 40_001 });
    expect(announcedEndpoints(check.addresses(), 8001, mapping.external())[0]).toEqual({
      address: '198.51.100.77',
      port: 40_001,
    });
    expect(lines.some((l) => l.msg === 'port mapping changed')).toBe(true);
    check.stop();
    await mapping.stop();
  });

  it('does not hurry a mapping that is not held (its own backoff retries it)', () => {
    const refresh = vi.fn();
    const check = new NetworkCheck({
      read: () => ['192.168.1.20'],
      initial: ['192.168.1.20'],
      intervalMs: INTERVAL_MS,
      log: recorder().log,
      portMapping: {
        refresh,
        status: () => ({
          state: 'unavailable',
          protocol: null,
          external: null,
          internalPort: 8001,
          expiresAt: null,
          lastError: 'no gateway',
          since: 0,
        }),
      },
      pinholes: null,
    });
    expect(check.check()).toBe(false);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('follows a new IPv6 prefix: announces it, opens its pinhole, removes the old one, asks the router again', async () => {
    let local = ['192.168.1.20', '2001:db8:1::20'];
    const router = ipv6Router();
    const { lines, log } = recorder();
    const pinholes = new PinholeSet(
      (address) =>
        new PortMapping({
          client: router.client(address),
          internalPort: 8001,
          internalAddress: address,
          leaseMs: LEASE_MS,
          retryMs: 30_000,
          maxRetryMs: 600_000,
          log,
          what: 'IPv6 pinhole',
        }),
    );
    pinholes.update(local);
    const nat = natRouter({ address: '203.0.113.10' });
    const mapping = mappingOf(nat.client, log);
    mapping.start();
    const check = new NetworkCheck({
      read: () => local,
      initial: local,
      intervalMs: INTERVAL_MS,
      log,
      portMapping: mapping,
      pinholes,
    });
    const changed = vi.fn();
    check.on('changed', changed);
    check.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...router.open]).toEqual(['2001:db8:1::20']);
    const mapsBefore = nat.calls.map;

    local = ['192.168.1.20', '2001:db8:9::20'];
    await nextCheck();
    expect(changed).toHaveBeenCalledTimes(1);
    expect(check.addresses()).toEqual(['192.168.1.20', '2001:db8:9::20']);
    expect([...router.open]).toEqual(['2001:db8:9::20']);
    expect(nat.calls.map).toBe(mapsBefore + 1);
    expect(lines.some((l) => l.msg === 'network addresses changed: announcing the new ones')).toBe(true);
    expect(announcedEndpoints(check.addresses(), 8001, null).map((e) => e.address)).toContain(
      '2001:db8:9::20',
    );

    // The same set in another order is no change.
    local = ['2001:db8:9::20', '192.168.1.20'];
    await nextCheck();
    expect(changed).toHaveBeenCalledTimes(1);

    check.stop();
    await Promise.all([mapping.stop(), pinholes.stop()]);
    expect(router.open.size).toBe(0);
  });

  it('keeps the announced addresses when they cannot be read', () => {
    const { lines, log } = recorder();
    const check = new NetworkCheck({
      read: () => {
        throw new Error('EPERM');
      },
      initial: ['203.0.113.5'],
      intervalMs: INTERVAL_MS,
      log,
      portMapping: null,
      pinholes: null,
    });
    expect(check.check()).toBe(false);
    expect(check.addresses()).toEqual(['203.0.113.5']);
    expect(lines.map((l) => l.level)).toEqual(['warn']);
  });
});

describe('BITWEEN_ADDRESS_CHECK_MS', () => {
  const base = { BITWEEN_NATS_URL: 'nats://127.0.0.1:4222' };

  it('is 5 minutes unless set, and at least a second', () => {
    expect(loadEngineConfig(base).BITWEEN_ADDRESS_CHECK_MS).toBe(300_000);
    expect(loadEngineConfig({ ...base, BITWEEN_ADDRESS_CHECK_MS: '60000' }).BITWEEN_ADDRESS_CHECK_MS).toBe(
      60_000,
    );
    expect(() => loadEngineConfig({ ...base, BITWEEN_ADDRESS_CHECK_MS: '500' })).toThrow(
      /BITWEEN_ADDRESS_CHECK_MS/,
    );
  });
});
