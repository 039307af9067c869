// Reading an Apiframe job (or webhook event) body: its status and credit cost, and which
// statuses are final.
export const TERMINAL_STATUSES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

interface UpstreamJob {
  status: string;
  creditCost: number | null;
}

/** The status and credit cost of a job (or webhook event) body; null when it has no status. */
export function parseJob(body: string): UpstreamJob | null {
  const parsed = parseJson(body) as { status?: unknown; creditCost?: unknown } | undefined;
  if (typeof parsed?.status !== 'string') return null;
  const cost = parsed.creditCost;
  return {
    status: parsed.status,
    creditCost: typeof cost === 'number' && Number.isInteger(cost) && cost >= 0 ? cost : null,
  };
}

/** The value of JSON text, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
