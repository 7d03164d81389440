import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GrantedMapping } from './lease-schedule.js';
import { NoGatewayError, type MapperClient } from './mapper-client.js';
import { PortMapping } from './port-mapping.js';

const granted: GrantedMapping = {
  protocol: 'nat-pmp',
  externalAddress: '203.0.113.10',
  externalPort: 40_001,
  internalPort: 8001,
  leaseMs: 60_000,
};

function recorder() {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => lines.push({ level, msg: msg ?? '', obj });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A client whose answers the test scripts: each map() call takes the next answer. */
function scripted(answers: (GrantedMapping | Error)[]) {
  const calls = { map: 0, unmap: 0 };
  const client: MapperClient = {
    map: () => {
      const a = answers[Math.min(calls.map++, answers.length - 1)];
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a as GrantedMapping);
    },
    unmap: () => {
      calls.unmap++;
      return Promise.resolve();
    },
  };
  return { client, calls };
}

describe('PortMapping (driver of the lease schedule)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  const make = (client: MapperClient, log: ReturnType<typeof recorder>['log']) =>
    new PortMapping({
      client,
      internalPort: 8001,
      leaseMs: 60_000,
      retryMs: 1_000,
      maxRetryMs: 8_000,
      log,
      now: Date.now,
    });

  it('maps at start, announces the granted endpoint, renews at half the lease, unmaps on stop', async () => {
    const { client, calls } = scripted([granted]);
    const { lines, log } = recorder();
    const pm = make(client, log);
    const changed = vi.fn();
    pm.on('changed', changed);
    expect(pm.status()).toMatchObject({ state: 'searching', external: null, internalPort: 8001 });
    pm.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(pm.external()).toEqual({ address: '203.0.113.10', port: 40_001 });
    expect(pm.status()).toMatchObject({ state: 'mapped', protocol: 'nat-pmp', expiresAt: 60_000 });
    expect(changed).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['port mapped on the router']);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.map).toBe(2);
    expect(pm.status().expiresAt).toBe(90_000);
    expect(lines.at(-1)?.msg).toBe('port mapping renewed');

    await pm.stop();
    expect(calls.unmap).toBe(1);
    expect(lines.at(-1)?.msg).toBe('port mapping removed');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls.map).toBe(2); // no renewal after stop
  });

  it('names an IPv6 pinhole as such in the log, with its own warning when no router answers', async () => {
    const pinhole = {
      ...granted,
      protocol: 'pcp' as const,
      externalAddress: '2001:db8:1::2',
      externalPort: 8001,
    };
    const { client } = scripted([new NoGatewayError('PCP at fe80::1%eth0: no answer'), pinhole]);
    const { lines, log } = recorder();
    const pm = new PortMapping({
      client,
      internalPort: 8001,
      leaseMs: 60_000,
      retryMs: 1_000,
      maxRetryMs: 8_000,
      log,
      now: Date.now,
      what: 'IPv6 pinhole',
      noGatewayWarning: 'no router answered PCP for an IPv6 pinhole',
    });
    pm.start();
    await vi.advanceTimersByTimeAsync(1_000);
    await pm.stop();
    expect(lines.filter((l) => l.level !== 'debug').map((l) => l.msg)).toEqual([
      'no router answered PCP for an IPv6 pinhole',
      'IPv6 pinhole opened on the router',
      'IPv6 pinhole removed',
    ]);
    expect(pm.status()).toMatchObject({
      protocol: 'pcp',
      external: { address: '2001:db8:1::2', port: 8001 },
    });
  });

  it('warns once when no gateway answers, keeps retrying with backoff, and maps when one appears', async () => {
    const none = new NoGatewayError('no UPnP-IGD v2 gateway answered; NAT-PMP at 192.168.1.1: no answer');
    const { client, calls } = scripted([none, none, none, granted]);
    const { lines, log } = recorder();
    const pm = make(client, log);
    pm.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(pm.status()).toMatchObject({ state: 'unavailable', lastError: none.message });
    await vi.advanceTimersByTimeAsync(1_000 + 2_000 + 4_000);
    expect(calls.map).toBe(4);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(pm.status()).toMatchObject({ state: 'mapped', lastError: null });
    await pm.stop();
  });

  it('reports the mapping lost when renewals fail until the lease ends', async () => {
    const refused = new Error('NAT-PMP at 192.168.1.1: Not Authorized/Refused');
    const { client } = scripted([granted, refused]);
    const { lines, log } = recorder();
    const pm = make(client, log);
    const changed = vi.fn();
    pm.on('changed', changed);
    pm.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(pm.external()).toBeNull();
    expect(pm.status()).toMatchObject({ state: 'unavailable', lastError: refused.message });
    expect(lines.some((l) => l.msg === 'port mapping lost')).toBe(true);
    expect(changed.mock.calls.length).toBeGreaterThanOrEqual(2);
    await pm.stop();
  });

  it("warns when the router's own external address is private (carrier-grade NAT)", async () => {
    const { client } = scripted([{ ...granted, externalAddress: '100.64.0.9' }]);
    const { lines, log } = recorder();
    const pm = make(client, log);
    pm.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(pm.status()).toMatchObject({ state: 'mapped', external: { address: '100.64.0.9' } });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/not public \(carrier-grade NAT/),
    ]);
    await pm.stop();
  });

  it('stops without waiting long for a search under way, and asks the client to remove what it maps', async () => {
    let land: (m: GrantedMapping) => void = () => undefined;
    const calls = { map: 0, unmap: 0 };
    const client: MapperClient = {
      map: () => {
        calls.map++;
        return new Promise<GrantedMapping>((resolve) => (land = resolve));
      },
      unmap: () => {
        calls.unmap++;
        return Promise.resolve();
      },
    };
    const { lines, log } = recorder();
    const pm = make(client, log);
    pm.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map).toBe(1);
    const stopped = pm.stop(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await stopped;
    expect(calls.unmap).toBe(1);
    land(granted); // the search lands after the stop: nothing is scheduled, nothing announced
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls.map).toBe(1);
    expect(pm.external()).toBeNull();
    expect(lines.some((l) => l.msg === 'port mapped on the router')).toBe(false);
  });
});
