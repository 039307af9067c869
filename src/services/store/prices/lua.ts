// Keeping the catalogue: a copy read earlier never replaces one read later (two instances whose
// reads cross), in one round trip.
import { luaScript } from '../lua-script.js';

export const KEEP_CATALOGUE = luaScript({
  name: 'gwKeepCatalogue',
  keys: ['catalogueKey'],
  argv: ['body', 'fetchedAt'],
  body: `
local kept = tonumber(redis.call('HGET', catalogueKey, 'fetchedAt'))
if kept ~= nil and kept > tonumber(fetchedAt) then
  return 0
end
redis.call('HSET', catalogueKey, 'body', body, 'fetchedAt', fetchedAt)
return 1
`,
  decode: (kept: number) => kept === 1,
});

export const PRICE_SCRIPTS = [KEEP_CATALOGUE];
