// Opaque cursors for job lists ordered by (createdAt desc, jobId desc).
export interface JobPosition {
  createdAt: number;
  jobId: string;
}

export function encodeCursor(position: JobPosition): string {
  return Buffer.from(`${position.createdAt}:${position.jobId}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeCursor(cursor: string): JobPosition | null {
  const match = /^(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  return { createdAt: Number(match[1]), jobId: match[2]! };
}

/** True when `job` comes strictly after `position` in list order. */
export function isAfter(job: JobPosition, position: JobPosition): boolean {
  return job.createdAt < position.createdAt || (job.createdAt === position.createdAt && job.jobId < position.jobId);
}
