// The README's Alerts section run as written: its curl block against a gateway (the Slack URL
// pointed at a local receiver), and its signature check imported and applied to a real delivery.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis } from './helpers/gateway.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';

const execute = promisify(execFile);
const ctx = gatewayOnRedis({ env: { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const dir = mkdtempSync(join(tmpdir(), 'gw-readme-alerts-'));
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => {
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The README's fenced block of `language` whose first line starts with `start`. */
function block(language: string, start: string): string {
  const pattern = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g');
  const found = [...readFileSync('README.md', 'utf8').matchAll(pattern)]
    .map((m) => m[1]!)
    .find((b) => b.startsWith(start));
  expect(found, `README.md has no ${language} block starting with ${start}`).toBeDefined();
  return found!;
}

describe("the README's Alerts section", () => {
  it('runs its curl block as written and verifies a delivered alert with its snippet', async () => {
    const created = await ctx.gw.inject({
      method: 'POST',
      url: '/admin/teams',
      headers: admin,
      payload: { id: 'marketing', budget: null },
    });
    expect(created.statusCode, created.body).toBe(201);
    const url = await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' });
    const script = block('sh', 'curl -X PATCH "$GATEWAY/admin/teams/marketing"').replaceAll(
      'https://hooks.slack.com/services/T000/B000/XXXX',
      `${receiver.url}/slack`,
    );
    const strictCurl = 'curl() { command curl --fail-with-body --silent --show-error "$@"; }\n';
    const { stdout } = await execute('bash', ['-euo', 'pipefail', '-c', strictCurl + script], {
      env: { ...process.env, GATEWAY: url, ADMIN_TOKEN },
    });
    expect(stdout).toContain('"alertThresholds":[50,80,100]');
    expect(stdout).toContain('"format":"slack"');
    expect(stdout).toContain('{"alerts":[]}');

    const hook = await ctx.gw.inject({
      method: 'POST',
      url: '/admin/teams/marketing/alert-targets',
      headers: admin,
      payload: { url: `${receiver.url}/hook`, format: 'webhook' },
    });
    const { secret } = hook.json<{ secret: string }>();
    const key = await ctx.gw.createKey({ team: 'marketing' });
    for (let i = 0; i < 500; i++) expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    for (let until = Date.now() + 15_000; !receiver.received.some((r) => r.path === '/hook') && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const delivery = receiver.received.find((r) => r.path === '/hook')!;
    const signature = delivery.headers['x-webhook-signature'] as string | undefined;
    expect(JSON.parse(delivery.body).alert).toMatchObject({ team: 'marketing', threshold: 50, spent: 1_500 });

    const file = join(dir, 'verify.mjs');
    writeFileSync(file, block('js', '// Verifying a budget alert webhook'));
    const { isGatewayAlert } = await import(pathToFileURL(file).href);
    expect(isGatewayAlert(Buffer.from(delivery.body), signature, secret)).toBe(true);
    expect(isGatewayAlert(Buffer.from(`${delivery.body} `), signature, secret)).toBe(false);
    expect(isGatewayAlert(Buffer.from(delivery.body), signature, 'gwa_another')).toBe(false);
    expect(isGatewayAlert(Buffer.from(delivery.body), undefined, secret)).toBe(false);
  }, 60_000);
});
