import { describe, expect, it } from 'vitest';
import type { GrantedMapping } from './lease-schedule.js';
import { closableMapper } from './mapper-client.js';

const granted: GrantedMapping = {
  protocol: 'nat-pmp',
  externalAddress: '203.0.113.10',
  externalPort: 8001,
  internalPort: 8001,
  leaseMs: 3_600_000,
};

describe('closableMapper', () => {
  it('maps, and unmap() releases', async () => {
    let released = 0;
    const m = closableMapper(
      () => Promise.resolve(granted),
      () => {
        released++;
        return Promise.resolve();
      },
    );
    await expect(m.map(8001, 3_600_000)).resolves.toEqual(granted);
    expect(released).toBe(0);
    await m.unmap();
    expect(released).toBe(1);
  });

  it('releases what a map() still under way gets once unmap() has come, and fails it', async () => {
    let answer!: (g: GrantedMapping) => void;
    let released = 0;
    const m = closableMapper(
      () => new Promise<GrantedMapping>((resolve) => (answer = resolve)),
      () => {
        released++;
        return Promise.resolve();
      },
    );
    const mapping = m.map(8001, 3_600_000);
    await m.unmap();
    expect(released).toBe(1);
    answer(granted);
    await expect(mapping).rejects.toThrow('closed');
    expect(released).toBe(2); // the router must not keep what it granted after unmap()
  });
});
