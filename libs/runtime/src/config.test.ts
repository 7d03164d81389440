import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config.js';

const Schema = z.object({
  BITWEEN_PORT: env.port(5000),
  BITWEEN_FLAG: env.bool(false),
  BITWEEN_LIST: env.list(z.string().min(2)).default([]),
  BITWEEN_PASSWORD: z.string().min(1),
});

describe('loadConfig', () => {
  it('parses values and applies defaults', () => {
    const c = loadConfig(Schema, { BITWEEN_PASSWORD: 'pw', BITWEEN_LIST: 'ab, cd,,', BITWEEN_FLAG: 'yes' });
    expect(c).toEqual({
      BITWEEN_PORT: 5000,
      BITWEEN_FLAG: true,
      BITWEEN_LIST: ['ab', 'cd'],
      BITWEEN_PASSWORD: 'pw',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(Schema, { BITWEEN_PASSWORD: 'pw', BITWEEN_PORT: '' }).BITWEEN_PORT).toBe(5000);
  });

  it('names every variable at fault, with its value unless it is a secret', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { BITWEEN_PORT: '70000', BITWEEN_FLAG: 'maybe', BITWEEN_LIST: 'x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^BITWEEN_PORT: .*\(got "70000"\)$/);
    expect(problems[1]).toMatch(/^BITWEEN_FLAG: must be true or false \(got "maybe"\)$/);
    expect(problems[2]).toMatch(/^BITWEEN_LIST: /);
    expect(problems[3]).toBe('BITWEEN_PASSWORD: is required (not set)');
  });

  it('takes 0 (off) or a period of at least the minimum for msOrOff', () => {
    const S = z.object({ BITWEEN_EVERY_MS: env.msOrOff(300_000, 1_000) });
    expect(loadConfig(S, {}).BITWEEN_EVERY_MS).toBe(300_000);
    expect(loadConfig(S, { BITWEEN_EVERY_MS: '0' }).BITWEEN_EVERY_MS).toBe(0);
    expect(loadConfig(S, { BITWEEN_EVERY_MS: '1000' }).BITWEEN_EVERY_MS).toBe(1_000);
    expect(() => loadConfig(S, { BITWEEN_EVERY_MS: '500' })).toThrow(
      /BITWEEN_EVERY_MS: must be 0 \(off\) or at least 1000 \(ms\)/,
    );
    expect(() => loadConfig(S, { BITWEEN_EVERY_MS: '-1' })).toThrow(/BITWEEN_EVERY_MS/);
  });

  it('takes on or off for onOff', () => {
    const S = z.object({ BITWEEN_SWITCH: env.onOff(true) });
    expect(loadConfig(S, {}).BITWEEN_SWITCH).toBe(true);
    expect(loadConfig(S, { BITWEEN_SWITCH: 'off' }).BITWEEN_SWITCH).toBe(false);
    expect(loadConfig(S, { BITWEEN_SWITCH: 'on' }).BITWEEN_SWITCH).toBe(true);
    expect(() => loadConfig(S, { BITWEEN_SWITCH: 'true' })).toThrow(/BITWEEN_SWITCH: must be on or off/);
  });

  it('never prints a secret', () => {
    const S = z.object({ BITWEEN_API_TOKEN: z.string().min(20) });
    expect(() => loadConfig(S, { BITWEEN_API_TOKEN: 'hunter2' })).toThrow(/^(?![\s\S]*hunter2)/);
  });
});
