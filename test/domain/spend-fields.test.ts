import { describe, expect, it } from 'vitest';
import { isStaleSpendField, uuidV7Time } from '../../src/domain/spend-fields.js';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const HOUR = 3_600_000;
/** A UUIDv7 minted at `at`. */
const v7At = (at: number) => {
  const hex = at.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7abc-9def-0123456789ab`;
};

describe('spend counters no budget check reads again', () => {
  it("drops a window's counters a day after the window ended, never the current ones or total", () => {
    const stale = ['key:k1:2026-11-23', 'team:2026-11-23', 'key:k1:2026-W47', 'team:2026-10'];
    const kept = ['key:k1:2026-11-24', 'team:2026-11-25', 'key:k1:2026-W48', 'team:2026-11'];
    for (const field of stale) expect(isStaleSpendField(field, NOW), field).toBe(true);
    for (const field of [...kept, 'key:k1:total', 'team:total'])
      expect(isStaleSpendField(field, NOW), field).toBe(false);
  });

  it("drops an ephemeral key's counters a day after its longest life, dated by its UUIDv7", () => {
    const old = v7At(NOW - 26 * HOUR);
    const recent = v7At(NOW - 24 * HOUR);
    expect(uuidV7Time(old)).toBe(NOW - 26 * HOUR);
    expect(isStaleSpendField(`eph:${old}`, NOW)).toBe(true);
    expect(isStaleSpendField(`eph:${old}:jobs`, NOW)).toBe(true);
    expect(isStaleSpendField(`eph:${recent}`, NOW)).toBe(false);
  });

  it('keeps what it cannot date: an ephemeral key with a random UUID, a field of another shape', () => {
    expect(uuidV7Time('0b9c2d5e-3f41-4a6b-8c7d-9e0f1a2b3c4d')).toBeNull();
    expect(isStaleSpendField('eph:0b9c2d5e-3f41-4a6b-8c7d-9e0f1a2b3c4d', NOW)).toBe(false);
    expect(isStaleSpendField('something:else', NOW)).toBe(false);
  });
});
