import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnadmittedConnections } from './unadmitted.js';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function setup(limits = { maxTotal: 3, maxPerIp: 2, deadlineMs: 1_000 }) {
  const seen: string[] = [];
  const refused: string[] = [];
  const client = {
    _connPool: { _onConnection: (c: Socket) => seen.push(`${c.remoteAddress}:${c.remotePort}`) },
  };
  const bound = new UnadmittedConnections(client, limits, (d) => refused.push(d.why), quiet);
  let port = 40_000;
  const accept = (remoteAddress: string) => {
    const s = Object.assign(new EventEmitter(), {
      remoteAddress,
      remotePort: port++,
      destroyed: false,
      destroy: () => {
        s.destroyed = true;
        s.emit('close');
      },
    });
    client._connPool._onConnection(s as unknown as Socket);
    return s;
  };
  return { bound, seen, refused, accept };
}

describe('UnadmittedConnections', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts any address but bounds waiting connections per IP and in all', () => {
    const { bound, seen, refused, accept } = setup();
    const a1 = accept('::ffff:198.51.100.1');
    accept('198.51.100.1');
    const a3 = accept('198.51.100.1');
    expect(a3.destroyed).toBe(true);
    accept('198.51.100.2');
    const b2 = accept('198.51.100.3');
    expect(b2.destroyed).toBe(true);
    expect(seen).toHaveLength(3);
    expect(refused).toEqual([
      'too many unadmitted connections from this address',
      'too many unadmitted connections',
    ]);
    // An admitted connection no longer counts; a closed one neither.
    bound.admitted('198.51.100.1', a1.remotePort);
    expect(bound.pending).toBe(2);
    expect(accept('198.51.100.1').destroyed).toBe(false);
  });

  it('closes a connection not admitted in time', () => {
    vi.useFakeTimers();
    const { bound, accept } = setup();
    const s = accept('198.51.100.9');
    vi.advanceTimersByTime(1_001);
    expect(s.destroyed).toBe(true);
    expect(bound.pending).toBe(0);
  });

  it('refuses to run without the hook', () => {
    expect(
      () =>
        new UnadmittedConnections({}, { maxTotal: 1, maxPerIp: 1, deadlineMs: 1 }, () => undefined, quiet),
    ).toThrow(/connection pool/);
  });
});
