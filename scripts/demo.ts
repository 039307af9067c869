// `npm run demo`: the gateway with its embedded store in front of the Apiframe simulator, a
// freshly minted team key, curl commands that work as printed, and the web example (examples/web)
// minting browser keys with the team key (it holds keys:mint). Ctrl-C stops everything.
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startSimulator } from '../src/simulator/simulator.js';
import { startWebExample } from './web-example.js';

const upstreamKey = `afk_demo_${randomBytes(12).toString('hex')}`;
const adminToken = randomBytes(24).toString('base64url');
const simulator = await startSimulator({ apiKey: upstreamKey, jobDurationMs: 2_000, prices: { 'seedream-4': 3 } });

const config = loadConfig({
  PORT: process.env.PORT ?? '8080',
  HOST: '127.0.0.1',
  APIFRAME_API_KEY: upstreamKey,
  APIFRAME_BASE_URL: simulator.url,
  ADMIN_TOKEN: adminToken,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  RECONCILE_INTERVAL_MS: '1000',
  MAX_EVENT_LOOP_DELAY_MS: process.env.MAX_EVENT_LOOP_DELAY_MS,
});
const app = await buildApp(config);
const gateway = await app.listen({ port: config.PORT, host: config.HOST });

const created = await app.inject({
  method: 'POST',
  url: '/admin/keys',
  headers: { authorization: `Bearer ${adminToken}` },
  payload: {
    name: 'demo key',
    team: 'demo',
    budget: { credits: 100, period: 'day' },
    scopes: ['generate', 'keys:mint'],
  },
});
const { key } = created.json<{ key: string }>();
const example = await startWebExample({
  gatewayUrl: gateway,
  serverKey: key,
  port: Number(process.env.WEB_EXAMPLE_PORT ?? '8081'),
});

process.stdout.write(`
Apiframe gateway demo
  gateway      ${gateway}   (embedded in-memory store)
  upstream     ${simulator.url}   (the Apiframe simulator standing in for api.apiframe.ai)
  team key     ${key}   (team "demo", 100 credits a day; seedream-4 costs 3, kling-2.6 7 a second)
  admin token  ${adminToken}

Generate an image (Apiframe's own curl example, with the gateway's URL and a team key):

curl -X POST ${gateway}/v2/images/generate \\
  -H "X-API-Key: ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{"prompt": "a detailed architectural blueprint of a modern glass house", "model": "seedream-4", "seedreamParams": {"size": "4K", "aspect_ratio": "16:9"}}'

Generate a 5-second video: kling-2.6 is priced per second by Apiframe's catalogue (7 credits), so
35 are reserved before it is sent and the job is charged what Apiframe reports once it completes:

curl -X POST ${gateway}/v2/videos/generate \\
  -H "X-API-Key: ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{"prompt": "a paper boat drifting down a rainy street", "model": "kling-2.6", "klingParams": {"duration": 5}}'

See every model on offer with its price rule:

curl "${gateway}/v2/models?modality=video"

Poll a job (it completes after about 2 seconds), then see the key's remaining credits:

curl ${gateway}/v2/jobs/JOB_ID -H "X-API-Key: ${key}"
curl ${gateway}/v2/me -H "Authorization: Bearer ${key}"

Admin: list keys and their spend

curl ${gateway}/admin/keys -H "Authorization: Bearer ${adminToken}"

Or with the admin CLI, from another terminal in this folder:

export APIFRAME_GATEWAY_URL=${gateway} ADMIN_TOKEN=${adminToken}
npm run --silent admin -- keys list

The web example (examples/web): a page that calls the gateway directly from the browser with a
15-minute key its backend minted for the session with the team key above (it holds keys:mint):

  web example  ${example.url}

Press Ctrl-C to stop.
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([example.close(), app.close(), simulator.close()]).then(() => process.exit(0));
  });
}
