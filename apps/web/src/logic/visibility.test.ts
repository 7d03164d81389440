import { describe, expect, it } from 'vitest';
import { groupChoices, visibilityText } from './visibility.js';

describe('groupChoices', () => {
  it('offers every roster group, checks the chosen ones, and keeps a chosen group the roster lost', () => {
    expect(
      groupChoices(
        [
          { name: 'work', contacts: 2 },
          { name: 'family', contacts: 1 },
        ],
        ['family', 'old'],
      ),
    ).toEqual([
      { name: 'family', contacts: 1, checked: true },
      { name: 'old', contacts: 0, checked: true },
      { name: 'work', contacts: 2, checked: false },
    ]);
  });

  it('without groups there is nothing to choose', () => {
    expect(groupChoices([], [])).toEqual([]);
  });
});

describe('visibilityText', () => {
  it('says who sees the share', () => {
    expect(visibilityText([])).toBe('Every contact sees this share.');
    expect(visibilityText(['family'])).toContain('the group “family”');
    expect(visibilityText(['family', 'work'])).toContain('the groups “family”, “work”');
  });
});
