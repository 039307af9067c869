// The only code that talks to Apiframe: a keep-alive undici Pool that adds the company's real
// X-API-Key and nothing of the caller's. Network failures become UpstreamFailure with a kind
// the caller can map (timeout or unreachable); HTTP answers are returned as they came.
import { Pool, errors as undiciErrors } from 'undici';

export interface UpstreamResponse {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

export class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    cause: unknown,
  ) {
    super(`upstream ${kind}`, { cause });
  }
}

export interface SubmitOptions {
  idempotencyKey?: string;
  /** Ends the call wherever it is: waiting for a connection, for the headers or for the body. */
  signal?: AbortSignal;
}

export interface UpstreamClient {
  submitGenerate(body: string, requestId: string, options?: SubmitOptions): Promise<UpstreamResponse>;
  getJob(jobId: string, requestId: string): Promise<UpstreamResponse>;
  /** A page of the whole upstream account's jobs (GET /v2/jobs with these query parameters). */
  listJobs(query: URLSearchParams, requestId: string): Promise<UpstreamResponse>;
  /** The company account (GET /v2/me). */
  getAccount(requestId: string): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  connections: number;
  /** Told of every call: which operation, its HTTP status (or failure) and how long it took. */
  observe?: (operation: string, status: number | UpstreamFailure['kind'], seconds: number) => void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function createUpstreamClient(options: UpstreamOptions): UpstreamClient {
  const base = new URL(options.baseUrl);
  const pathPrefix = base.pathname.replace(/\/$/, '');
  const pool = new Pool(base.origin, {
    connections: options.connections,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const baseHeaders = {
    'x-api-key': options.apiKey,
    accept: 'application/json',
    'user-agent': 'apiframe-gateway/0.1',
  };

  async function call(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    requestId: string,
    body?: string,
    extraHeaders: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<UpstreamResponse> {
    const started = performance.now();
    const observe = (status: number | UpstreamFailure['kind']) =>
      options.observe?.(operation, status, (performance.now() - started) / 1000);
    try {
      const response = await pool.request({
        method,
        path: pathPrefix + path,
        headers: {
          ...baseHeaders,
          ...extraHeaders,
          'x-request-id': requestId,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body,
        signal,
      });
      const text = await readCapped(response.body);
      const retryAfter = response.headers['retry-after'];
      observe(response.statusCode);
      return { status: response.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: text };
    } catch (cause) {
      const failure = new UpstreamFailure(isTimeout(cause) || signal?.aborted ? 'timeout' : 'unreachable', cause);
      observe(failure.kind);
      throw failure;
    }
  }

  return {
    submitGenerate: (body, requestId, { idempotencyKey, signal } = {}) =>
      call('generate', 'POST', '/v2/images/generate', requestId, body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}, signal),
    getJob: (jobId, requestId) => call('get_job', 'GET', `/v2/jobs/${encodeURIComponent(jobId)}`, requestId),
    listJobs: (query, requestId) => call('list_jobs', 'GET', `/v2/jobs?${query}`, requestId),
    getAccount: (requestId) => call('get_account', 'GET', '/v2/me', requestId),
    close: () => pool.close(),
  };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new Error('upstream response too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isTimeout(error: unknown): boolean {
  return error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError;
}
