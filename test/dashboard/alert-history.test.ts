// The dashboard's alert history, in a real browser: a key that crosses its budget's thresholds
// and overruns raises alerts, and the page lists the API's alerts, newest first, for the dates
// and team shown.
import { describe, expect, it } from 'vitest';
import { shownRows } from '../helpers/dashboard-page.js';
import { ADMIN_TOKEN, SEED_BODY, type TestGateway } from '../helpers/gateway.js';
import { seededDashboard } from '../helpers/seeded-dashboard.js';

interface Alert {
  id: string;
  team: string;
  keyId: string | null;
  kind: string;
  threshold: number | null;
  spent: number;
}

const DAYS = Array.from({ length: 5 }, (_, i) => `2026-11-${String(16 + i).padStart(2, '0')}`);
const FROM = DAYS[0]!;
const TODAY = DAYS.at(-1)!;

/** Runs a job on `key` to its end. */
async function spend(gw: TestGateway, key: string, prompt: string): Promise<void> {
  const submitted = await gw.inject({
    method: 'POST',
    url: '/v2/images/generate',
    headers: { 'x-api-key': key },
    payload: { ...SEED_BODY, prompt },
  });
  expect(submitted.statusCode, submitted.body).toBe(202);
  expect((await gw.poll(key, submitted.json().jobId)).json().status).toBe('COMPLETED');
}

/** A research key with a budget of 10 credits that crosses 50 % and 80 % of it and overruns. */
async function crossThresholds(gw: TestGateway): Promise<void> {
  const created = await gw.inject({
    method: 'POST',
    url: '/admin/keys',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { team: 'research', name: 'Lab notebook', budget: { credits: 10, period: 'month' } },
  });
  const { key } = created.json();
  // 3 credits a job: the second crosses 50 %, the third 80 % and costs 4, an overrun.
  await spend(gw, key, 'a lab bench');
  await spend(gw, key, 'a lab bench');
  await spend(gw, key, 'a lab bench [sim:cost=4]');
}

const ctx = seededDashboard({ days: DAYS, beforeOpen: crossThresholds, open: { from: FROM, to: TODAY } });

const alerts = async (query: string): Promise<Alert[]> => (await ctx.api(`/admin/usage/alerts?${query}`)).alerts;

const shownAlerts = async () =>
  (await shownRows(ctx.page, '#alerts tbody tr')).map((row) => ({ id: row.data.alert!, cells: row.cells }));

describe('the alert history', () => {
  it('lists the alerts the API gives for the dates shown, newest first', async () => {
    const expected = await alerts(`from=${FROM}&to=${TODAY}`);
    const kinds = expected.map((alert) => (alert.kind === 'overrun' ? 'overrun' : alert.threshold));
    expect(kinds).toEqual(expect.arrayContaining([50, 80, 'overrun']));
    const shown = await shownAlerts();
    expect(shown.map((row) => row.id)).toEqual(expected.map((alert) => alert.id));
    const threshold = shown.find((row) => row.id === expected.find((alert) => alert.threshold === 80)!.id)!;
    expect(threshold.cells).toEqual(
      expect.arrayContaining(['research', 'key Lab notebook', '80 % of the budget', 'no alert target']),
    );
    expect(await ctx.page.isVisible('#no-alerts')).toBe(false);
  });

  it('follows the team filter: another team’s page has none of them', async () => {
    await ctx.page.selectOption('#team', 'marketing');
    await ctx.page.waitForSelector(`body[data-loaded="${FROM}..${TODAY}?team=marketing"]`);
    const expected = await alerts(`from=${FROM}&to=${TODAY}&team=marketing`);
    expect((await shownAlerts()).map((row) => row.id)).toEqual(expected.map((alert) => alert.id));
    expect(expected.every((alert) => alert.team === 'marketing')).toBe(true);
    if (expected.length === 0) expect(await ctx.page.isVisible('#no-alerts')).toBe(true);
  });
});
