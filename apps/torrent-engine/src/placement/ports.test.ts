import { describe, expect, it } from 'vitest';
import { slotPort } from './ports.js';

describe('slotPort', () => {
  it('gives slot N the N-th port of the range', () => {
    expect(slotPort({ from: 8000, to: 8020 }, 'engine-1')).toBe(8000);
    expect(slotPort({ from: 8000, to: 8020 }, 'engine-3')).toBe(8002);
  });
  it('has no preference for fixed ids, port 0 or a short range', () => {
    expect(slotPort({ from: 8000, to: 8020 }, 'laptop')).toBeUndefined();
    expect(slotPort({ from: 0, to: 0 }, 'engine-2')).toBeUndefined();
    expect(slotPort({ from: 8000, to: 8001 }, 'engine-3')).toBeUndefined();
  });
});
