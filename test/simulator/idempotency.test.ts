// The simulator's Idempotency-Key, as Apiframe's spec describes it: a submission with a key it has
// seen gets the job that key made, at once and whatever its directives; one arriving while the
// first is still handled waits for it; a key whose first submission made no job makes one.
import { describe, expect, it } from 'vitest';
import { useSimulator } from '../helpers/simulator-calls.js';

const simulator = useSimulator();
const { call } = simulator;
const generate = (prompt: string, key: string) =>
  call('POST', '/v2/images/generate', { model: 'seedream-4', prompt }, { 'idempotency-key': key });

describe('an Idempotency-Key on a submission', () => {
  it('answers a repeat with the job the key made, whatever its directives, and makes no second job', async () => {
    const key = crypto.randomUUID();
    const first = await generate('a cat', key);
    const charged = simulator.sim().chargedCredits();
    const repeat = await generate('a cat [sim:status=503]', key);
    expect(repeat).toEqual({ status: 202, body: { jobId: first.body.jobId, status: 'COMPLETED' } });
    expect(simulator.sim().chargedCredits()).toBe(charged);
  });

  it('makes a repeat that arrives while the first is handled wait for it, and share its job', async () => {
    const key = crypto.randomUUID();
    const answers = await Promise.all([
      generate('a dog [sim:latency=300]', key),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => generate('a dog [sim:latency=300]', key)),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    expect(answers[1]!.body.jobId).toBe(answers[0]!.body.jobId);
  });

  it('lets a key whose first submission made no job make one', async () => {
    const key = crypto.randomUUID();
    expect((await generate('a fox [sim:status=503]', key)).status).toBe(503);
    const retried = await generate('a fox', key);
    expect(retried).toMatchObject({ status: 202, body: { status: 'QUEUED' } });
  });
});
