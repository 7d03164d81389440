import { describe, expect, it } from 'vitest';
import { altSpeedActive, effectiveLimits } from './alt-speed.js';

const at = (day: number, h: number, m = 0) => new Date(2026, 11, 6 + day, h, m); // 2026-12-06 is a Sunday
const schedule = (begin: number, end: number, days = 127) => ({ enabled: true, begin, end, days });
const alt = { enabled: false, downloadLimit: 50_000, uploadLimit: 10_000 };

describe('alternative speed limits', () => {
  it('on while switched on; off without settings', () => {
    expect(altSpeedActive(undefined, at(0, 12))).toBe(false);
    expect(altSpeedActive({ ...alt, enabled: true }, at(0, 12))).toBe(true);
    expect(altSpeedActive(alt, at(0, 12))).toBe(false);
  });

  it('the schedule: a day window, a window over midnight, days of the week', () => {
    const day = { ...alt, schedule: schedule(9 * 60, 17 * 60) };
    expect(altSpeedActive(day, at(1, 9))).toBe(true);
    expect(altSpeedActive(day, at(1, 17))).toBe(false);
    const night = { ...alt, schedule: schedule(23 * 60, 6 * 60, 1 << 5) }; // Friday nights
    expect(altSpeedActive(night, at(5, 23, 30))).toBe(true);
    expect(altSpeedActive(night, at(6, 2))).toBe(true); // Saturday 02:00, begun on Friday
    expect(altSpeedActive(night, at(4, 23, 30))).toBe(false);
    expect(altSpeedActive({ ...alt, schedule: { ...schedule(60, 120), enabled: false } }, at(0, 1, 30))).toBe(
      false,
    );
  });

  it('the limits in force', () => {
    const settings = { downloadLimit: 1_000_000, uploadLimit: null, maxActiveDownloads: null };
    expect(effectiveLimits(settings, at(0, 12))).toEqual({
      downloadLimit: 1_000_000,
      uploadLimit: null,
      alt: false,
    });
    expect(effectiveLimits({ ...settings, altSpeed: { ...alt, enabled: true } }, at(0, 12))).toEqual({
      downloadLimit: 50_000,
      uploadLimit: 10_000,
      alt: true,
    });
  });
});
