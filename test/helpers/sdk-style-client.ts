// A small Apiframe client written the way the official SDK (@apiframe-ai/sdk) calls the API: the
// global fetch, the key in `X-API-Key` (or `Authorization: Bearer`), JSON bodies, FormData for
// multipart (uploads, LoRA training), `Idempotency-Key`, a 2xx parsed as JSON and anything else thrown with its status and
// body, and a job awaited by polling GET /v2/jobs/{id}. Tests point it at the gateway with a team
// key to show that a client of Apiframe works unchanged.

type Query = Record<string, string | number | boolean | undefined>;
type Json = Record<string, unknown>;

export class ApiframeCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`Apiframe answered ${status}: ${JSON.stringify(body)}`);
  }
}

export interface SdkStyleClientOptions {
  apiKey: string;
  baseUrl: string;
  /** How the key is presented: the SDK's own header, or a Bearer token (which Apiframe also accepts). */
  auth?: 'x-api-key' | 'bearer';
}

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Query;
  body?: Json | FormData;
  idempotencyKey?: string;
}

export interface SdkStyleClient {
  call<T = Json>(call: Call): Promise<T>;
  submit(path: `/v2/${string}`, body: Json, idempotencyKey?: string): Promise<{ jobId: string; status: string }>;
  job(jobId: string): Promise<Json>;
  jobs(query?: Query): Promise<{ jobs: Json[]; nextCursor: string | null; hasMore: boolean }>;
  waitFor(jobId: string, intervalMs?: number): Promise<Json>;
  me(): Promise<Json>;
  models(modality?: string): Promise<{ models: Json[] }>;
  upload(bytes: Uint8Array, filename: string): Promise<Json>;
  trainLora(name: string, images: Uint8Array[]): Promise<Json>;
  loras(query?: Query): Promise<{ items: Json[]; nextCursor: string | null }>;
  lora(id: string): Promise<Json>;
  archiveLora(id: string): Promise<void>;
  createAsset(url: string, type: 'image' | 'video' | 'audio'): Promise<{ assetId: string }>;
  asset(assetId: string): Promise<Json>;
}

export function sdkStyleClient({ apiKey, baseUrl, auth = 'x-api-key' }: SdkStyleClientOptions): SdkStyleClient {
  const credentials: Record<string, string> =
    auth === 'bearer' ? { authorization: `Bearer ${apiKey}` } : { 'x-api-key': apiKey };

  async function call<T = Json>({ method, path, query = {}, body, idempotencyKey }: Call): Promise<T> {
    const url = new URL(path, `${baseUrl}/`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, `${value}`);
    const headers: Record<string, string> = { ...credentials, accept: 'application/json' };
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, { method, headers, ...(payload !== undefined && { body: payload }) });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const parsed: unknown = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    if (!response.ok) throw new ApiframeCallError(response.status, parsed);
    return parsed as T;
  }

  const job = (jobId: string) => call({ method: 'GET', path: `/v2/jobs/${encodeURIComponent(jobId)}` });

  return {
    call,
    submit: (path, body, idempotencyKey) =>
      call({ method: 'POST', path, body, ...(idempotencyKey && { idempotencyKey }) }),
    job,
    jobs: (query) => call({ method: 'GET', path: '/v2/jobs', ...(query && { query }) }),
    async waitFor(jobId, intervalMs = 20) {
      for (;;) {
        const current = await job(jobId);
        if (current.status === 'COMPLETED') return current;
        if (current.status === 'FAILED' || current.status === 'CANCELLED') {
          throw new ApiframeCallError(0, current);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
    me: () => call({ method: 'GET', path: '/v2/me' }),
    models: (modality) => call({ method: 'GET', path: '/v2/models', query: { modality } }),
    upload(bytes, filename) {
      const form = new FormData();
      form.append('file', new Blob([bytes]), filename);
      return call({ method: 'POST', path: '/v2/uploads', body: form });
    },
    trainLora(name, images) {
      const form = new FormData();
      form.append('name', name);
      form.append('subjectKind', 'style');
      for (const [index, image] of images.entries()) form.append('images', new Blob([image]), `image-${index}.png`);
      return call({ method: 'POST', path: '/v2/loras', body: form });
    },
    loras: (query) => call({ method: 'GET', path: '/v2/loras', ...(query && { query }) }),
    lora: (id) => call({ method: 'GET', path: `/v2/loras/${encodeURIComponent(id)}` }),
    archiveLora: (id) => call({ method: 'DELETE', path: `/v2/loras/${encodeURIComponent(id)}` }),
    createAsset: (url, type) => call({ method: 'POST', path: '/v2/assets/create', body: { url, type } }),
    asset: (assetId) => call({ method: 'GET', path: `/v2/assets/${encodeURIComponent(assetId)}` }),
  };
}
