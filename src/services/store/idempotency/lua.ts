// Claiming an idempotency key, atomically with reading what became of an earlier claim.
import { luaScript } from '../lua-script.js';
import type { IdempotencyClaim } from './contract.js';

/** Claims the record for a request with this body fingerprint, or says what became of the one holding it. */
export const CLAIM_IDEMPOTENCY = luaScript({
  name: 'gwClaimIdempotency',
  keys: ['recordHash'],
  argv: ['fingerprint', 'pendingTtlMs'],
  body: `
local record = redis.call('HMGET', recordHash, 'fingerprint', 'state', 'status', 'body')
if not record[1] then
  redis.call('HSET', recordHash, 'fingerprint', fingerprint, 'state', 'pending')
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

export const IDEMPOTENCY_SCRIPTS = [CLAIM_IDEMPOTENCY];
