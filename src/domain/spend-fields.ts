// Which counters of a team's spend no budget check reads again, so a background pass may drop
// them and the spend hash does not grow with every day and every browser key: a window's once it
// ended more than a day ago (`total` never ends), and an ephemeral key's once it expired more than
// a day ago (its id, a UUIDv7, says when it was minted; it lives an hour at most). A settlement of
// an older job may still write such a counter; the next pass drops it again.
import { DAY_MS, windowEndsAt } from './budgets.js';
import { EPHEMERAL_TTL_SECONDS } from './ephemeral-keys.js';

const GRACE_MS = DAY_MS;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** When a UUIDv7 was made (its first 48 bits, ms since the epoch); null for any other id. */
export function uuidV7Time(id: string): number | null {
  return UUID_V7.test(id) ? Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16) : null;
}

/** True when the spend hash field `field` (`key:<id>:<window>`, `team:<window>`, `eph:<id>[:jobs]`) is stale at `now`. */
export function isStaleSpendField(field: string, now: number): boolean {
  const ephemeral = /^eph:([^:]+)(?::jobs)?$/.exec(field);
  if (ephemeral) {
    const minted = uuidV7Time(ephemeral[1]!);
    return minted !== null && minted + EPHEMERAL_TTL_SECONDS.max * 1_000 + GRACE_MS < now;
  }
  const window = /^(?:key:[^:]+|team):(.+)$/.exec(field)?.[1];
  const end = window === undefined ? null : windowEndsAt(window);
  return end !== null && end + GRACE_MS < now;
}
