import { describe, expect, it } from 'vitest';
import { configuredIceServers, loadGatewayConfig } from './config.js';

describe('gateway config: STUN and ICE servers', () => {
  it('BITWEEN_STUN_SERVER takes host:port or off; unset means "the discovered one"', () => {
    expect(loadGatewayConfig({ BITWEEN_STUN_SERVER: 'off' }).BITWEEN_STUN_SERVER).toBe('off');
    expect(loadGatewayConfig({ BITWEEN_STUN_SERVER: 'stun.example.org:3478' }).BITWEEN_STUN_SERVER).toBe(
      'stun.example.org:3478',
    );
    expect(loadGatewayConfig({}).BITWEEN_STUN_SERVER).toBeUndefined();
    expect(() => loadGatewayConfig({ BITWEEN_STUN_SERVER: 'yes' })).toThrow(/BITWEEN_STUN_SERVER/);
  });

  it('BITWEEN_ICE_SERVERS: STUN alone, TURN with the configured credentials (required)', () => {
    const config = loadGatewayConfig({
      BITWEEN_ICE_SERVERS: 'stun:stun.example.org:3478,turn:[2001:db8::1]:3478?transport=tcp',
      BITWEEN_TURN_USERNAME: 'me',
      BITWEEN_TURN_PASSWORD: 'pw',
    });
    expect(configuredIceServers(config)).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      { urls: ['turn:[2001:db8::1]:3478?transport=tcp'], username: 'me', credential: 'pw' },
    ]);
    expect(() => loadGatewayConfig({ BITWEEN_ICE_SERVERS: 'turn:turn.example.org' })).toThrow(
      /BITWEEN_TURN_USERNAME, BITWEEN_TURN_PASSWORD/,
    );
    expect(() => loadGatewayConfig({ BITWEEN_ICE_SERVERS: 'http://example.org' })).toThrow(
      /BITWEEN_ICE_SERVERS/,
    );
  });
});
