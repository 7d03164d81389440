import { describe, expect, it } from 'vitest';
import { bulkResource } from './bulk-session.js';

describe('bulkResource', () => {
  it('names the bulk session so that it sorts before the main resource (ejabberd notifies through the greatest)', () => {
    for (const main of ['bitween', 'Bitween', '0', '#home', 'bitween-laptop', 'Conversations.x1', 'ä']) {
      const name = bulkResource(main, 'a1b2c3d4');
      expect(name).toBe('!bulk-a1b2c3d4');
      expect(Buffer.compare(Buffer.from(name!), Buffer.from(main))).toBeLessThan(0);
    }
  });

  it('gives none when no such name exists', () => {
    expect(bulkResource('!', 'a1b2c3d4')).toBeNull();
    expect(bulkResource('!bulk', 'a1b2c3d4')).toBeNull();
    expect(bulkResource('!bulk-a1b2c3d4', 'a1b2c3d4')).toBeNull();
  });
});
