// `npm run openapi`: writes the gateway's OpenAPI document to openapi/openapi.json.
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

/** The configuration the committed document describes (the admin API on, no metrics token). */
export const OPENAPI_ENV = {
  APIFRAME_API_KEY: 'afk_openapi_generation_only',
  ADMIN_TOKEN: 'openapi-generation-only-token',
  LOG_LEVEL: 'silent',
};

export async function generateOpenApi(env: Record<string, string> = OPENAPI_ENV): Promise<unknown> {
  const app = await buildApp(loadConfig(env), { reconcile: false });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return document;
}

if (process.argv[1]?.match(/openapi\.(ts|js)$/)) {
  writeFileSync('openapi/openapi.json', `${JSON.stringify(await generateOpenApi(), null, 2)}\n`);
  process.stdout.write('openapi/openapi.json written\n');
}
