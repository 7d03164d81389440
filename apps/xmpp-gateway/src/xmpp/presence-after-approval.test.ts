import { describe, expect, it } from 'vitest';
import { contactApprovedUs } from './presence-after-approval.js';

describe('contactApprovedUs', () => {
  it('is true when we become subscribed to the contact (none/from/new → to/both)', () => {
    expect(contactApprovedUs('none', 'to')).toBe(true);
    expect(contactApprovedUs('from', 'both')).toBe(true);
    expect(contactApprovedUs(undefined, 'both')).toBe(true);
  });

  it('is false when nothing about our subscription to them changed, or it ended', () => {
    expect(contactApprovedUs('to', 'both')).toBe(false); // they subscribed to us: our presence goes out anyway
    expect(contactApprovedUs('both', 'both')).toBe(false);
    expect(contactApprovedUs('none', 'from')).toBe(false);
    expect(contactApprovedUs('both', 'from')).toBe(false);
    expect(contactApprovedUs('to', undefined)).toBe(false); // removed
  });
});
