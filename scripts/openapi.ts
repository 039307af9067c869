// `npm run openapi`: writes the gateway's OpenAPI document to openapi/openapi.json.
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig({
  APIFRAME_API_KEY: 'afk_openapi_generation_only',
  ADMIN_TOKEN: 'openapi-generation-only-token',
  LOG_LEVEL: 'silent',
});
const app = await buildApp(config, { reconcile: false });
await app.ready();
writeFileSync('openapi/openapi.json', `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
process.stdout.write('openapi/openapi.json written\n');
