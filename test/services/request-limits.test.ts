// Counting a request in a store call of its own: over the quota a 429, a store that cannot count
// lets the request through (credits still fail closed), and any other failure is a fault, thrown.
import { describe, expect, it } from 'vitest';
import { errors } from '../../src/errors.js';
import { admitOnItsOwn, type RequestLimit } from '../../src/services/request-limits.js';
import { createMemoryStore } from '../../src/services/store/memory-store.js';

const limit = (perMinute: number): RequestLimit => ({
  keyId: 'k1',
  policy: 'generate',
  perMinute,
  announce: () => undefined,
});

describe('admitOnItsOwn', () => {
  it('admits a request within its quota and refuses the one past it with 429', async () => {
    const store = createMemoryStore({ ledgerRetentionMs: 60_000 });
    await admitOnItsOwn(store, 't1', limit(1));
    await expect(admitOnItsOwn(store, 't1', limit(1))).rejects.toMatchObject({ statusCode: 429 });
  });

  it('lets the request through when the store is unavailable, and throws any other failure', async () => {
    const unavailable = { countRequest: () => Promise.reject(new errors.StoreUnavailable()) };
    await expect(admitOnItsOwn(unavailable, 't1', limit(1))).resolves.toBeUndefined();
    const faulty = { countRequest: () => Promise.reject(new TypeError('a bug')) };
    await expect(admitOnItsOwn(faulty, 't1', limit(1))).rejects.toThrow(TypeError);
  });
});
