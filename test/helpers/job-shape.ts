// Checks a job body against Apiframe's job shape (src/schemas/jobs.ts, from its spec), with
// `expired`, which its job lists require.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { Job } from '../../src/schemas/jobs.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const validate = addFormats(new Ajv({ allErrors: true, strict: false })).compile({
  ...Job,
  required: [...Job.required, 'expired'],
});

export function expectApiframeJob(job: unknown): void {
  expect(validate(job), `${JSON.stringify(job)}: ${JSON.stringify(validate.errors)}`).toBe(true);
}
