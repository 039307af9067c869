// The only code that talks to Apiframe: a keep-alive undici Pool that adds the company's real
// X-API-Key and nothing of the caller's. Network failures become UpstreamFailure with a kind
// the caller can map (timeout or unreachable); HTTP answers are returned as they came.
//
// Calls take one slot each of a queue as wide as the pool, so a call that has its slot is sent
// at once and the wait for a slot is the only queueing. Streamed bodies (uploads, LoRA training)
// take as long as their senders and have a pool and queue of their own, so that job submissions
// never wait behind them; they wait at most `timeoutMs` for a slot. A submission may give up that wait (it
// was never sent, so nothing ran upstream). Once sent, a call waits for Apiframe's headers and
// then for each part of its body at most `timeoutMs`, counted from the sending, not the queueing.
import type { Readable } from 'node:stream';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { createConnectionSlots, SlotWaitOver } from './connection-slots.js';

export interface UpstreamResponse {
  status: number;
  retryAfter: string | undefined;
  body: string;
  /** Apiframe's own id of the request (its x-request-id), for its support. */
  apiframeRequestId?: string | undefined;
}

/** Node's and undici's codes for a connection that could not be made: nothing was sent. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';
  /** Whether the request may have reached Apiframe: not when it waited for a connection in vain, or none could be made. */
  readonly mayHaveArrived: boolean;
  constructor(
    /** `busy`: no connection came free in time, and nothing was sent. */
    readonly kind: 'timeout' | 'unreachable' | 'busy',
    cause: unknown,
  ) {
    super(`upstream ${kind}`, { cause });
    this.mayHaveArrived = kind !== 'busy' && !NEVER_CONNECTED.has((cause as { code?: unknown } | null)?.code as string);
  }
}

export interface SubmitOptions {
  /** Names the call in the metrics (the operation's descriptor name). */
  operation: string;
  idempotencyKey?: string;
  /** How long the call may wait for a free connection before it gives up, unsent. */
  maxQueueMs?: number;
}

/** A call outside the job pipeline, passed through as it is (uploads, LoRAs, assets). */
export interface ForwardedCall {
  /** Names the call in the metrics. */
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Apiframe's path, with its query string. */
  path: string;
  /** A JSON text, or a stream sent as it comes (no deadline for Apiframe's answer until it ends). */
  body?: string | Readable;
  /** The body's content type (default JSON). */
  contentType?: string;
}

export interface UpstreamClient {
  /** Submits a job: POST `path` (e.g. `/v2/images/generate`) with a JSON body. */
  submitJob(path: string, body: string, requestId: string, options: SubmitOptions): Promise<UpstreamResponse>;
  getJob(jobId: string, requestId: string): Promise<UpstreamResponse>;
  /** A page of the whole upstream account's jobs (GET /v2/jobs with these query parameters). */
  listJobs(query: URLSearchParams, requestId: string): Promise<UpstreamResponse>;
  /** The company account (GET /v2/me). */
  getAccount(requestId: string): Promise<UpstreamResponse>;
  /** Apiframe's public model catalogue (GET /v2/models with these query parameters). */
  listModels(query: URLSearchParams, requestId: string): Promise<UpstreamResponse>;
  forward(call: ForwardedCall, requestId: string): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  connections: number;
  /** Connections kept for streamed bodies, apart from `connections`. */
  streamConnections: number;
  /** Told of every call: which operation, its HTTP status (or failure) and how long it took. */
  observe?: (operation: string, status: number | UpstreamFailure['kind'], seconds: number) => void;
  /** Told of every call with the gateway's request id and Apiframe's (none on a failure, or when it sent none). */
  answered?: (call: UpstreamCall) => void;
}

export interface UpstreamCall {
  operation: string;
  requestId: string;
  status: number | UpstreamFailure['kind'];
  apiframeRequestId: string | undefined;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function createUpstreamClient(options: UpstreamOptions): UpstreamClient {
  const base = new URL(options.baseUrl);
  const pathPrefix = base.pathname.replace(/\/$/, '');
  const { pool, slots } = connections(base.origin, options.connections, options.timeoutMs);
  const streams = connections(base.origin, options.streamConnections, options.timeoutMs);
  const baseHeaders = {
    'x-api-key': options.apiKey,
    accept: 'application/json',
    'user-agent': 'apiframe-gateway/0.1',
  };

  async function call(
    operation: string,
    method: ForwardedCall['method'],
    path: string,
    requestId: string,
    body?: string | Readable,
    extraHeaders: Record<string, string> = {},
    maxQueueMs?: number,
  ): Promise<UpstreamResponse> {
    const started = performance.now();
    const observe = (status: number | UpstreamFailure['kind'], apiframeRequestId?: string) => {
      options.observe?.(operation, status, (performance.now() - started) / 1000);
      options.answered?.({ operation, requestId, status, apiframeRequestId });
    };
    try {
      const headers = {
        ...baseHeaders,
        'x-request-id': requestId,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...extraHeaders,
      };
      // A streamed body takes as long as its sender; Apiframe's answer is awaited after it.
      const streamed = typeof body === 'object';
      const deadlineMs = streamed ? null : options.timeoutMs;
      const [via, queue, queueMs] = streamed
        ? [streams.pool, streams.slots, options.timeoutMs]
        : [pool, slots, maxQueueMs];
      const response = await queue.run(
        () =>
          requestWithinDeadline(via, { method, path: pathPrefix + path, headers, body }, deadlineMs).then(
            async (answer) => ({ answer, text: await readCapped(answer.body) }),
          ),
        queueMs,
      );
      const { answer, text } = response;
      const apiframeRequestId = firstHeader(answer.headers['x-request-id']);
      observe(answer.statusCode, apiframeRequestId);
      return {
        status: answer.statusCode,
        retryAfter: firstHeader(answer.headers['retry-after']),
        body: text,
        apiframeRequestId,
      };
    } catch (cause) {
      const failure = new UpstreamFailure(failureKind(cause), cause);
      observe(failure.kind);
      throw failure;
    }
  }

  return {
    submitJob: (path, body, requestId, { operation, idempotencyKey, maxQueueMs }) => {
      const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
      return call(operation, 'POST', path, requestId, body, headers, maxQueueMs);
    },
    getJob: (jobId, requestId) => call('get_job', 'GET', `/v2/jobs/${encodeURIComponent(jobId)}`, requestId),
    listJobs: (query, requestId) => call('list_jobs', 'GET', `/v2/jobs?${query}`, requestId),
    getAccount: (requestId) => call('get_account', 'GET', '/v2/me', requestId),
    listModels: (query, requestId) => call('list_models', 'GET', withQuery('/v2/models', query), requestId),
    forward: ({ operation, method, path, body, contentType }, requestId) =>
      call(operation, method, path, requestId, body, contentType ? { 'content-type': contentType } : {}),
    close: async () => {
      await Promise.all([pool.close(), streams.pool.close()]);
    },
  };
}

/** A keep-alive pool of `count` connections and a queue of as many slots. */
function connections(origin: string, count: number, timeoutMs: number) {
  const pool = new Pool(origin, {
    connections: count,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  });
  return { pool, slots: createConnectionSlots(count) };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function withQuery(path: string, query: URLSearchParams): string {
  const search = query.toString();
  return search ? `${path}?${search}` : path;
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

/**
 * Sends a request and waits at most `timeoutMs` for Apiframe's headers. undici has a headers timer
 * of its own, but it does not fire while it still counts the request as being written, and one
 * run in CI waited a whole second past a 200 ms limit: this timer is the one the promise rests on.
 */
async function requestWithinDeadline(
  pool: Pool,
  request: Omit<Dispatcher.RequestOptions, 'signal' | 'origin'>,
  timeoutMs: number | null,
): Promise<Dispatcher.ResponseData> {
  if (timeoutMs === null) return pool.request(request);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    return await pool.request({ ...request, signal: deadline.signal });
  } catch (error) {
    throw deadline.signal.aborted ? new HeadersDeadlineOver() : error;
  } finally {
    clearTimeout(timer);
  }
}

class HeadersDeadlineOver extends Error {
  override name = 'HeadersDeadlineOver';
}

function failureKind(cause: unknown): UpstreamFailure['kind'] {
  if (cause instanceof SlotWaitOver) return 'busy';
  return isTimeout(cause) ? 'timeout' : 'unreachable';
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof HeadersDeadlineOver ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError
  );
}
