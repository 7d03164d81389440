import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatEta,
  formatLimit,
  formatPercent,
  formatRate,
  parseLimitKiB,
} from './format.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [10 * 1024 * 1024, '10.0 MiB'],
    [64 * 1024 * 1024, '64.0 MiB'],
    [734003200, '700 MiB'],
    [1024 ** 3 - 1, '1.00 GiB'],
    [5.5 * 1024 ** 4, '5.50 TiB'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s));
  it('unknown or invalid sizes are a dash', () => {
    expect(formatBytes(null)).toBe('–');
    expect(formatBytes(undefined)).toBe('–');
    expect(formatBytes(-1)).toBe('–');
    expect(formatBytes(Number.NaN)).toBe('–');
  });
});

describe('formatRate', () => {
  it('adds /s', () => {
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatRate(2.5 * 1024 * 1024)).toBe('2.50 MiB/s');
    expect(formatRate(null)).toBe('–');
  });
});

describe('formatEta', () => {
  it.each([
    [null, '–'],
    [0, 'done'],
    [1, '1 s'],
    [59, '59 s'],
    [60, '1 min'],
    [61, '2 min'],
    [3599, '60 min'],
    [3600, '1 h 00 min'],
    [2 * 3600 + 5 * 60, '2 h 05 min'],
    [3 * 86400 + 4 * 3600, '3 d 4 h'],
    [400 * 86400, '> 1 year'],
  ])('%s s → %s', (n, s) => expect(formatEta(n)).toBe(s));
});

describe('formatPercent', () => {
  it.each([
    [0, '0 %'],
    [0.005, '0.5 %'],
    [0.42, '42 %'],
    [0.9999, '99.9 %'],
    [1, '100 %'],
    [2, '100 %'],
    [-1, '0 %'],
  ])('%s → %s', (n, s) => expect(formatPercent(n)).toBe(s));
});

describe('limits', () => {
  it('formats null as unlimited', () => {
    expect(formatLimit(null)).toBe('unlimited');
    expect(formatLimit(1024)).toBe('1.00 KiB/s');
  });
  it('parses KiB/s input; empty, 0 and "unlimited" mean no limit', () => {
    expect(parseLimitKiB('')).toEqual({ ok: true, value: null });
    expect(parseLimitKiB(' 0 ')).toEqual({ ok: true, value: null });
    expect(parseLimitKiB('Unlimited')).toEqual({ ok: true, value: null });
    expect(parseLimitKiB('100')).toEqual({ ok: true, value: 102400 });
    expect(parseLimitKiB('1.5')).toEqual({ ok: true, value: 1536 });
    expect(parseLimitKiB('-5').ok).toBe(false);
    expect(parseLimitKiB('fast').ok).toBe(false);
    expect(parseLimitKiB('0.0001').ok).toBe(false);
  });
});

describe('formatAgo', () => {
  const now = 1_700_000_000_000;
  it.each([
    [now - 5_000, 'just now'],
    [now - 5 * 60_000, '5 min ago'],
    [now - 3 * 3_600_000, '3 h ago'],
    [now - 2 * 86_400_000, '2 d ago'],
    [now + 10_000, 'just now'],
  ])('%d → %s', (t, s) => expect(formatAgo(t, now)).toBe(s));
});
