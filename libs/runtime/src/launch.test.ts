import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLaunch } from './launch.js';

const dirWith = (content?: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'launch-'));
  if (content !== undefined) writeFileSync(join(dir, 'launch.json'), content);
  return dir;
};

describe('readLaunch', () => {
  it('reads Node flags and environment from launch.json', () => {
    const dir = dirWith('{"nodeArgs":["--max-semi-space-size=4"],"env":{"MALLOC_ARENA_MAX":"1"}}');
    expect(readLaunch(dir)).toEqual({
      nodeArgs: ['--max-semi-space-size=4'],
      env: { MALLOC_ARENA_MAX: '1' },
    });
  });

  it('gives none for an app without the file', () => {
    expect(readLaunch(dirWith())).toEqual({ nodeArgs: [], env: {} });
  });

  it('refuses a malformed file, naming it and the field', () => {
    const dir = dirWith('{"nodeArgs":["max-semi-space-size=4"],"env":{}}');
    expect(() => readLaunch(dir)).toThrow(join(dir, 'launch.json'));
    expect(() => readLaunch(dir)).toThrow(/nodeArgs/);
    expect(() => readLaunch(dirWith('{"nodeArgs":[],"env":{"x":1}}'))).toThrow(/env/);
    expect(() => readLaunch(dirWith('{"nodeArgs":[],"env":{},"extra":true}'))).toThrow(/extra/);
  });
});
