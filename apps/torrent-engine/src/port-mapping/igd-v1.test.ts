import { describe, expect, it } from 'vitest';
import { externalPortCandidates, isConflict, PORT_TRIES } from './igd-v1.js';

describe('IGD v1 external ports', () => {
  it('asks for the internal port first, then random unprivileged ports, without repeats', () => {
    const values = [0, 0, 0.5, 0.999_999];
    const ports = externalPortCandidates(6881, null, () => values.shift() ?? 0.25);
    expect(ports[0]).toBe(6881);
    expect(ports).toHaveLength(PORT_TRIES);
    expect(new Set(ports).size).toBe(PORT_TRIES); // 1024 twice from the random source: asked once
    expect(ports).toEqual([
      6881,
      1024,
      1024 + Math.floor(0.5 * 64512),
      65535,
      1024 + Math.floor(0.25 * 64512),
    ]);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(1024);
  });

  it('keeps the port granted before (a renewal), then the internal one', () => {
    expect(externalPortCandidates(6881, 40_000, () => 0).slice(0, 2)).toEqual([40_000, 6881]);
    expect(externalPortCandidates(6881, 6881, () => 0).slice(0, 2)).toEqual([6881, 1024]);
  });

  it("recognises the router's conflict answers (718, 729) as nat-api words them", () => {
    expect(
      isConflict(
        new Error(
          'The port mapping entry specified conflicts with a mapping assigned previously to another client',
        ),
      ),
    ).toBe(true);
    expect(
      isConflict(new Error('Attempted port mapping is not allowed due to conflict with other mechanisms')),
    ).toBe(true);
    expect(isConflict(new Error('Action not authorized'))).toBe(false);
    expect(isConflict('conflict')).toBe(false);
  });
});
