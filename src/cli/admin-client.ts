// The admin CLI's connection to a running gateway's admin API. Any refusal becomes a
// CliError carrying the gateway's own message.
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    /** The gateway's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface AdminClientOptions {
  url: string;
  token: string;
}

export function createAdminClient({ url, token }: AdminClientOptions) {
  const base = url.replace(/\/$/, '');

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${base}/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new CliError(`cannot reach the gateway at ${base}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    if (!response.ok) {
      const { error, details } = (await response.json().catch(() => ({}))) as {
        error?: string;
        details?: Record<string, string[]>;
      };
      const specifics = details
        ? ` (${Object.entries(details)
            .map(([path, messages]) => `${path}: ${messages.join(', ')}`)
            .join('; ')})`
        : '';
      throw new CliError(`${error ?? 'request failed'}${specifics} [HTTP ${response.status}]`, response.status);
    }
    return response;
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await send(method, path, body);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new CliError(`unexpected answer from ${base} (HTTP ${response.status})`);
    }
  }

  return {
    /** The body of a GET as a stream of bytes, for exports. */
    stream: async (path: string) => (await send('GET', path)).body!,
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body),
    patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
    delete: <T>(path: string) => call<T>('DELETE', path),
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
