import type { EngineSettings } from '@bitween/messages';

type AltSpeed = NonNullable<EngineSettings['altSpeed']>;

/**
 * Are the alternative speed limits in force at `now` (the host's local time, as Transmission)?
 * On while switched on, and within the schedule's window on its days: `begin`/`end` in minutes
 * after midnight (a window that ends before it begins runs over midnight), `days` a bitmask
 * Sunday = 1 … Saturday = 64.
 */
export function altSpeedActive(alt: AltSpeed | undefined, now: Date): boolean {
  if (!alt) return false;
  if (alt.enabled) return true;
  const s = alt.schedule;
  if (!s?.enabled || s.begin === s.end) return false;
  const minute = now.getHours() * 60 + now.getMinutes();
  const inWindow =
    s.begin < s.end ? minute >= s.begin && minute < s.end : minute >= s.begin || minute < s.end;
  if (!inWindow) return false;
  // After midnight in a window that began the day before, the day is the one it began on.
  const day = s.begin > s.end && minute < s.end ? (now.getDay() + 6) % 7 : now.getDay();
  return (s.days & (1 << day)) !== 0;
}

/** The global limits in force: the alternative ones while they are active. */
export function effectiveLimits(
  settings: EngineSettings,
  now: Date,
): { downloadLimit: number | null; uploadLimit: number | null; alt: boolean } {
  const alt = altSpeedActive(settings.altSpeed, now);
  if (alt && settings.altSpeed) {
    return {
      downloadLimit: settings.altSpeed.downloadLimit,
      uploadLimit: settings.altSpeed.uploadLimit,
      alt,
    };
  }
  return { downloadLimit: settings.downloadLimit ?? null, uploadLimit: settings.uploadLimit ?? null, alt };
}
