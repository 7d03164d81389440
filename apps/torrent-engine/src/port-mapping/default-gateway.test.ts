import { describe, expect, it } from 'vitest';
import { parseDefaultGateway, parseDefaultGateway6 } from './default-gateway.js';

const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';

describe('parseDefaultGateway', () => {
  it('reads the gateway of the default route (little-endian hex)', () => {
    const table = [
      header,
      'eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    ].join('\n');
    expect(parseDefaultGateway(table)).toBe('192.168.1.1');
  });

  it('takes the default route with the lowest metric', () => {
    const table = [
      header,
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    ].join('\n');
    expect(parseDefaultGateway(table)).toBe('10.0.0.1');
  });

  it('is null without a default route through a gateway', () => {
    expect(parseDefaultGateway(header)).toBeNull();
    expect(
      parseDefaultGateway(`${header}\neth0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0`),
    ).toBeNull();
    expect(parseDefaultGateway('')).toBeNull();
  });
});

describe('parseDefaultGateway6', () => {
  const route = (dest: string, len: string, hop: string, metric: string, flags: string, dev: string) =>
    `${dest} ${len} ${'0'.repeat(32)} 00 ${hop} ${metric} 00000001 00000000 ${flags}     ${dev}`;
  const zero = '0'.repeat(32);

  it('reads the next hop of ::/0, a link-local one with its interface as the zone', () => {
    const table = [
      route('20010db8000100000000000000000000', '40', zero, '00000100', '00000001', 'eth0'),
      route(zero, '00', 'fe800000000000000000000000000001', '00000400', '00000003', 'eth0'),
    ].join('\n');
    expect(parseDefaultGateway6(table)).toBe('fe80:0:0:0:0:0:0:1%eth0');
  });

  it('takes a global next hop as it is, the lowest metric first', () => {
    const table = [
      route(zero, '00', 'fe800000000000000000000000000001', '00000400', '00000003', 'wlan0'),
      route(zero, '00', '20010db8000100000000000000000001', '00000100', '00000003', 'eth0'),
    ].join('\n');
    expect(parseDefaultGateway6(table)).toBe('2001:db8:1:0:0:0:0:1');
  });

  it('is null without a default route through a router (loopback, reject and on-link routes)', () => {
    expect(parseDefaultGateway6('')).toBeNull();
    expect(parseDefaultGateway6(route(zero, '00', zero, '00000400', '00000001', 'eth0'))).toBeNull();
    expect(
      parseDefaultGateway6(
        route(zero, '00', 'fe800000000000000000000000000001', 'ffffffff', '00200203', 'lo'),
      ),
    ).toBeNull();
  });
});
