import { describe, expect, it } from 'vitest';
import { clientName } from './peer-client.js';

const id = (prefix: string) => Buffer.from(prefix + 'abcdefghijkl').toString('hex');

describe('clientName', () => {
  it('names Azureus-style peer ids', () => {
    expect(clientName(id('-WW0300-'))).toBe('WebTorrent 0.3');
    expect(clientName(id('-TR4010-'))).toBe('Transmission 4.0.1');
    expect(clientName(id('-XY1200-'))).toBe('XY 1.2');
  });

  it('gives nothing for other or hostile ids', () => {
    expect(clientName(undefined)).toBe('');
    expect(clientName('zz')).toBe('');
    expect(clientName(Buffer.from('M7-2-0--abcdefghijkl').toString('hex'))).toBe('');
  });
});
