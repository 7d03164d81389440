import { describe, expect, it } from 'vitest';
import { loadEngineConfig } from '../config.js';

describe('BITWEEN_PORT_MAPPING', () => {
  const base = { BITWEEN_NATS_URL: 'nats://127.0.0.1:4222' };

  it('is auto unless set to off', () => {
    expect(loadEngineConfig(base).BITWEEN_PORT_MAPPING).toBe('auto');
    expect(loadEngineConfig({ ...base, BITWEEN_PORT_MAPPING: 'off' }).BITWEEN_PORT_MAPPING).toBe('off');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadEngineConfig({ ...base, BITWEEN_PORT_MAPPING: 'upnp' })).toThrow(
      /BITWEEN_PORT_MAPPING: must be auto or off \(got "upnp"\)/,
    );
  });
});
