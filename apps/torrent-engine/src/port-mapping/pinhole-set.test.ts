import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GrantedMapping } from './lease-schedule.js';
import type { MapperClient } from './mapper-client.js';
import { MAX_PINHOLES, PinholeSet, pinholeAddresses } from './pinhole-set.js';
import { PortMapping } from './port-mapping.js';

const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A router that grants every pinhole (PCP on a firewall-only router: external = our own address). */
function router() {
  const open = new Set<string>();
  const maps: string[] = [];
  const client = (address: string): MapperClient => ({
    map: (internalPort, leaseMs) => {
      maps.push(address);
      open.add(address);
      const g: GrantedMapping = {
        protocol: 'pcp',
        externalAddress: address,
        externalPort: internalPort,
        internalPort,
        leaseMs,
      };
      return Promise.resolve(g);
    },
    unmap: () => {
      open.delete(address);
      return Promise.resolve();
    },
  });
  const set = new PinholeSet(
    (address) =>
      new PortMapping({
        client: client(address),
        internalPort: 6881,
        internalAddress: address,
        leaseMs: 60_000,
        retryMs: 1_000,
        maxRetryMs: 8_000,
        log,
        what: 'IPv6 pinhole',
      }),
  );
  return { set, open, maps };
}

describe('pinholeAddresses', () => {
  it('takes every global IPv6 address once, in order, and nothing else', () => {
    expect(
      pinholeAddresses([
        '203.0.113.5',
        '2001:DB8:1::2',
        'fd00::2',
        'fe80::1',
        '2001:db8:1:0:a1b2:c3d4:e5f6:7788',
        '2001:db8:1::2',
        '2001:db8:2::2',
        '::ffff:203.0.113.5',
      ]),
    ).toEqual(['2001:db8:1::2', '2001:db8:1:0:a1b2:c3d4:e5f6:7788', '2001:db8:2::2']);
    expect(pinholeAddresses(['192.168.1.2', 'fd00::2'])).toEqual([]);
  });

  it(`stops at ${MAX_PINHOLES}`, () => {
    const many = Array.from({ length: MAX_PINHOLES + 3 }, (_, i) => `2001:db8::${i + 1}`);
    expect(pinholeAddresses(many)).toEqual(many.slice(0, MAX_PINHOLES));
  });
});

describe('PinholeSet', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('opens a pinhole for every global IPv6 address (stable, privacy, a second prefix) and removes each on stop', async () => {
    const { set, open } = router();
    set.update(['192.168.1.2', '2001:db8:1::2', '2001:db8:1::beef', '2001:db8:2::2', 'fd00::2']);
    await vi.advanceTimersByTimeAsync(0);
    expect([...open].sort()).toEqual(['2001:db8:1::2', '2001:db8:1::beef', '2001:db8:2::2']);
    expect(set.statuses().map((s) => [s.internalAddress, s.state, s.external?.address])).toEqual([
      ['2001:db8:1::2', 'mapped', '2001:db8:1::2'],
      ['2001:db8:1::beef', 'mapped', '2001:db8:1::beef'],
      ['2001:db8:2::2', 'mapped', '2001:db8:2::2'],
    ]);
    await set.stop();
    expect(open.size).toBe(0);
  });

  it('renews each pinhole at half its lease', async () => {
    const { set, maps } = router();
    set.update(['2001:db8:1::2', '2001:db8:2::2']);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(maps.sort()).toEqual(['2001:db8:1::2', '2001:db8:1::2', '2001:db8:2::2', '2001:db8:2::2']);
    await set.stop();
  });

  it('follows the addresses: a new one gets a pinhole, one that went away loses it', async () => {
    const { set, open } = router();
    const changed = vi.fn();
    set.on('changed', changed);
    set.update(['2001:db8:1::2', '2001:db8:1::aaaa']);
    await vi.advanceTimersByTimeAsync(0);
    changed.mockClear();

    // A new privacy address replaces the old one; the stable address stays.
    set.update(['2001:db8:1::2', '2001:db8:1::bbbb']);
    await vi.advanceTimersByTimeAsync(0);
    expect(changed).toHaveBeenCalled();
    expect([...open].sort()).toEqual(['2001:db8:1::2', '2001:db8:1::bbbb']);
    expect(set.addresses()).toEqual(['2001:db8:1::2', '2001:db8:1::bbbb']);

    // The same addresses again: nothing is asked, nothing changes.
    changed.mockClear();
    set.update(['2001:db8:1::2', '2001:db8:1::bbbb']);
    await vi.advanceTimersByTimeAsync(0);
    expect(changed).not.toHaveBeenCalled();

    await set.stop();
    expect(open.size).toBe(0);
    set.update(['2001:db8:1::cccc']); // after stop: nothing is opened
    await vi.advanceTimersByTimeAsync(0);
    expect(open.size).toBe(0);
  });
});
