// Cursors of the simulated GET /v2/jobs (newest first by createdAt, then id). Deliberately not
// the gateway's cursor code: the simulator stands in for Apiframe and shares nothing with what
// it is used to check.

export interface JobPosition {
  createdAt: number;
  id: string;
}

export function encodeJobCursor(position: JobPosition): string {
  return Buffer.from(`${position.createdAt}:${position.id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one this simulator handed out. */
export function decodeJobCursor(cursor: string): JobPosition | null {
  const match = /^(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  const [, createdAt, id] = match;
  return { createdAt: Number(createdAt), id: id! };
}

/** True when `job` is listed after `position`. */
export function listedAfter(job: JobPosition, position: JobPosition): boolean {
  return job.createdAt < position.createdAt || (job.createdAt === position.createdAt && job.id < position.id);
}
