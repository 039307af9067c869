// Claiming an idempotency key, atomically with reading what became of an earlier claim; keeping
// its answer or letting it go only while the claim is still the same request's.
import { luaScript } from '../lua-script.js';
import type { IdempotencyClaim } from './contract.js';

/** Claims the record for a request with this body fingerprint, or says what became of the one holding it. */
export const CLAIM_IDEMPOTENCY = luaScript({
  name: 'gwClaimIdempotency',
  keys: ['recordHash'],
  argv: ['fingerprint', 'pendingTtlMs', 'holder'],
  body: `
local record = redis.call('HMGET', recordHash, 'fingerprint', 'state', 'status', 'body')
if not record[1] then
  redis.call('HSET', recordHash, 'fingerprint', fingerprint, 'state', 'pending', 'holder', holder)
  redis.call('PEXPIRE', recordHash, pendingTtlMs)
  return {'claimed'}
end
if record[1] ~= fingerprint then return {'mismatch'} end
if record[2] == 'done' then return {'done', record[3], record[4]} end
return {'pending'}
`,
  decode: ([state, status, body]: string[]): IdempotencyClaim =>
    state === 'done'
      ? { state, status: Number(status), body: body! }
      : { state: state as 'claimed' | 'pending' | 'mismatch' },
});

/** Keeps the answer for `ttlMs` while `holder` holds the record; 0 when another does, or none. */
export const COMPLETE_IDEMPOTENCY = luaScript({
  name: 'gwCompleteIdempotency',
  keys: ['recordHash'],
  argv: ['holder', 'status', 'body', 'ttlMs'],
  body: `
if redis.call('HGET', recordHash, 'holder') ~= holder then return 0 end
redis.call('HSET', recordHash, 'state', 'done', 'status', status, 'body', body)
redis.call('PEXPIRE', recordHash, ttlMs)
return 1
`,
  decode: (): void => undefined,
});

/** Drops the record while `holder` holds it. */
export const ABANDON_IDEMPOTENCY = luaScript({
  name: 'gwAbandonIdempotency',
  keys: ['recordHash'],
  argv: ['holder'],
  body: `
if redis.call('HGET', recordHash, 'holder') ~= holder then return 0 end
return redis.call('DEL', recordHash)
`,
  decode: (): void => undefined,
});

export const IDEMPOTENCY_SCRIPTS = [CLAIM_IDEMPOTENCY, COMPLETE_IDEMPOTENCY, ABANDON_IDEMPOTENCY];
