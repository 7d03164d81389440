import { describe, expect, it } from 'vitest';
import { parseDefaultGateway } from './default-gateway.js';

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
