import type { RegisteredEngine } from '@bitween/bus';
import { describe, expect, it } from 'vitest';
import { EngineView } from './engine-view.js';

describe('EngineView endpoint order', () => {
  it('publishes public endpoints before private ones, the engine order kept within each group', () => {
    const view = new EngineView();
    const engine: RegisteredEngine = {
      state: {
        engineId: 'engine-1',
        version: '0.1.0',
        endpoints: [
          { address: '192.168.1.2', port: 8001 },
          { address: '198.51.100.7', port: 40_001 },
        ],
        torrents: [],
        heartbeatMs: 3_000,
      },
      seenAt: Date.now(),
    };
    view.update('engine-1', engine);
    const [entry] = view.entries(Date.now(), 'bitween', ['203.0.113.9']);
    expect(entry?.endpoints).toEqual([
      { address: '198.51.100.7', port: 40_001 },
      { address: '203.0.113.9', port: 8001 },
      { address: '203.0.113.9', port: 40_001 },
      { address: '192.168.1.2', port: 8001 },
    ]);
  });

  it('puts loopback and other non-LAN addresses last', () => {
    const view = new EngineView();
    view.update('engine-1', {
      state: {
        engineId: 'engine-1',
        version: '0.1.0',
        endpoints: [
          { address: '127.0.0.1', port: 1 },
          { address: '10.0.0.2', port: 2 },
          { address: '2001:db8::1', port: 3 },
        ],
        torrents: [],
        heartbeatMs: 3_000,
      },
      seenAt: Date.now(),
    });
    const [entry] = view.entries(Date.now(), 'bitween', []);
    expect(entry?.endpoints.map((e) => e.port)).toEqual([3, 2, 1]);
  });
});
