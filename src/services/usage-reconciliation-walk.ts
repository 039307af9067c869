// How a reconciliation walks a long period in parts: the order it reads the gateway's jobs in,
// and the cursor that says where the next part resumes (after a gateway job, or in Apiframe's
// job list), opaque to callers and refused with a 400 when it is not one of ours.
import type { JobRecord } from '../domain/jobs.js';
import { invalidCursor } from './store/cursor.js';

/** Where a walk resumes: after a gateway job (in creation order), or in Apiframe's job list. */
export type Resume = { phase: 'jobs'; createdAt: number; jobId: string } | { phase: 'apiframe'; cursor: string | null };

export function encodeResume(resume: Resume): string {
  const parts =
    resume.phase === 'jobs' ? [resume.phase, resume.createdAt, resume.jobId] : [resume.phase, resume.cursor];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The resume point a cursor names; a 400 when it is not one of ours for this kind of query. */
export function decodeResume(cursor: string, team: string | undefined): Resume {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    throw invalidCursor();
  }
  if (Array.isArray(parts)) {
    const [phase, first, second] = parts as unknown[];
    if (phase === 'jobs' && parts.length === 3 && Number.isSafeInteger(first) && typeof second === 'string') {
      return { phase, createdAt: first as number, jobId: second };
    }
    // Apiframe's account-wide list is read only when reconciling every team.
    if (
      phase === 'apiframe' &&
      parts.length === 2 &&
      team === undefined &&
      (first === null || typeof first === 'string')
    ) {
      return { phase, cursor: first };
    }
  }
  throw invalidCursor();
}

export const byCreation = (a: JobRecord, b: JobRecord) =>
  a.createdAt - b.createdAt || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0);

export function isAfter(job: JobRecord, resume: { createdAt: number; jobId: string }): boolean {
  return job.createdAt > resume.createdAt || (job.createdAt === resume.createdAt && job.jobId > resume.jobId);
}
