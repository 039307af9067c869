// The gateway's configuration: one TypeBox schema is the source of truth for validation,
// types and the documented configuration table. loadConfig() validates the environment once
// and returns a frozen object; any bad value becomes a ConfigError naming the variable.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SUPPORTED_MODELS } from './domain/models.js';

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port the gateway listens on.' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Interface the gateway binds to.' }),
  LISTEN_BACKLOG: Type.Integer({
    minimum: 1,
    default: 4_096,
    description:
      'Connections the kernel may queue before the gateway accepts them (capped by `net.core.somaxconn`); Node defaults to 511, which thousands of clients connecting at once overflow.',
  }),
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description:
      '`production` refuses to start without Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS`).',
  }),
  APIFRAME_API_KEY: Type.String({
    minLength: 1,
    description:
      "The company's real Apiframe key (`afk_…`, at least 8 characters). Sent upstream only; never logged or returned.",
  }),
  APIFRAME_BASE_URL: Type.String({
    pattern: '^https?://[^\\s]+$',
    default: 'https://api.apiframe.ai',
    description: 'Base URL of the Apiframe API (or of the bundled simulator).',
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description: 'Redis 7 connection URL. Unset: an embedded in-memory store (single instance, lost on restart).',
    }),
  ),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({
      pattern: '^rediss?://[^,\\s]+(,rediss?://[^,\\s]+)*$',
      description: 'Redis Cluster instead: comma-separated seed node URLs (`redis://host:port`, credentials allowed).',
    }),
  ),
  REDIS_SENTINELS: Type.Optional(
    Type.String({
      pattern: '^[^,:\\s]+:[0-9]+(,[^,:\\s]+:[0-9]+)*$',
      description:
        'Redis Sentinel instead: comma-separated `host:port` of the sentinels (with `REDIS_SENTINEL_MASTER`).',
    }),
  ),
  REDIS_SENTINEL_MASTER: Type.String({
    minLength: 1,
    default: 'mymaster',
    description: 'The master name the sentinels watch.',
  }),
  REDIS_PASSWORD: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Password for Sentinel-managed Redis, at least 8 characters (URLs carry their own).',
    }),
  ),
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'Bearer token for the `/admin` API (at least 16 characters, no `"`, `\\` or control characters). Unset: admin routes are off.',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level.' },
  ),
  PRICING: Type.String({
    default: '{"seedream-4":3}',
    description: 'JSON object of enabled models and their credits per generation.',
  }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 30_000,
    description:
      'Time a job submission may wait for a free connection to Apiframe (past it, it is answered 504 without being sent), and time Apiframe may take to send its headers, and each part of its body, before the caller gets 504.',
  }),
  UPSTREAM_CONNECTIONS: Type.Integer({
    minimum: 1,
    default: 128,
    description: 'Keep-alive connections the gateway may open to Apiframe.',
  }),
  REDIS_TIMEOUT_MS: Type.Integer({
    minimum: 50,
    default: 2_000,
    description: 'Time allowed for one Redis command; past it the request fails closed with 503.',
  }),
  RESERVATION_LEASE_MS: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        "How long a reservation lives unless renewed; the instance working on it renews it every third of this, and the reconciler releases it once it runs out (its instance died). Default: twice `UPSTREAM_TIMEOUT_MS` plus `REDIS_TIMEOUT_MS` plus 10 s; at least `UPSTREAM_TIMEOUT_MS` + `REDIS_TIMEOUT_MS` + 5 s, so that even without a renewal it outlasts a submission's wait for a connection, one Redis command and 5 s of clock skew between instances.",
    }),
  ),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: 'Time a client has to send a whole request (headers and body); slower clients get 408 (0: no limit).',
  }),
  RATE_LIMIT_GENERATE_PER_MINUTE: Type.Integer({
    minimum: 0,
    default: 120,
    description: 'Job submissions a key may make per minute unless the key sets its own (0: no limit).',
  }),
  RATE_LIMIT_READS_PER_MINUTE: Type.Integer({
    minimum: 0,
    default: 1_200,
    description:
      'Job reads (and /v2/me, /v2/usage) a key may make per minute unless the key sets its own (0: no limit).',
  }),
  RECONCILE_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 5_000,
    description: 'How often the reconciler polls Apiframe for unsettled jobs and releases abandoned reservations.',
  }),
  LEDGER_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    default: 400,
    description: 'How long raw ledger entries are kept; daily aggregates (what reports read) are kept for ever.',
  }),
  PUBLIC_BASE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
      description:
        'The URL Apiframe reaches this gateway at, for webhooks. Unset: requests with a `webhookUrl` are refused.',
    }),
  ),
  WEBHOOK_ALLOW_HTTP: Type.Boolean({
    default: false,
    description: 'Accept plain-http `webhookUrl`s on port 80 (https on port 443 only otherwise).',
  }),
  WEBHOOK_ALLOWED_HOSTS: Type.String({
    default: '',
    description:
      'Comma-separated hosts a `webhookUrl` may name even though they are private or loopback, on any port (internal receivers).',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'Bearer token that opens `/metrics` on the main port (at least 16 characters, no `"`, `\\` or control characters). Unset (and no `METRICS_PORT`): no metrics endpoint.',
    }),
  ),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description: 'Serve `/metrics` without a token on this separate port instead (bound to `HOST`).',
    }),
  ),
  SHUTDOWN_GRACE_MS: Type.Integer({
    minimum: 0,
    default: 10_000,
    description: 'On SIGTERM/SIGINT, how long in-flight requests may take to finish before the process exits anyway.',
  }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({
    minimum: 0,
    default: 1_000,
    description: 'Event-loop delay beyond which requests are shed with 503 and Retry-After (0: never shed).',
  }),
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1_024,
    default: 65_536,
    description: 'Largest request body accepted; larger bodies get 413.',
  }),
});

export type RawConfig = Static<typeof ConfigSchema>;

export interface Config extends Omit<RawConfig, 'PRICING' | 'WEBHOOK_ALLOWED_HOSTS'> {
  /** Credits charged per generation, by model; only these models are accepted. */
  readonly pricing: Readonly<Record<string, number>>;
  /** Hosts a caller's webhookUrl may name although they are private or loopback (WEBHOOK_ALLOWED_HOSTS). */
  readonly webhookAllowedHosts: readonly string[];
  /** Milliseconds a reservation may stay unattached before the reconciler releases it. */
  readonly reservationLeaseMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Clock skew between instances a lease tolerates (the reconciler compares it with its own clock). */
const LEASE_MARGIN_MS = 5_000;

const PricingSchema = Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$' }), Type.Integer({ minimum: 0 }));

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(ConfigSchema.properties);
  const input: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, input));
  const firstError = Value.Errors(ConfigSchema, candidate).First();
  if (firstError) {
    const variable = firstError.path.split('/')[1] || 'configuration';
    const problem = input[variable] === undefined ? 'is required' : `is invalid (${firstError.message})`;
    throw new ConfigError(`${variable} ${problem}`);
  }
  const raw = candidate as RawConfig;
  const redisModes = [raw.REDIS_URL, raw.REDIS_CLUSTER_NODES, raw.REDIS_SENTINELS].filter(
    (value) => value !== undefined,
  );
  if (redisModes.length > 1) {
    throw new ConfigError('REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS are alternatives: set only one');
  }
  if (raw.NODE_ENV === 'production' && redisModes.length === 0) {
    throw new ConfigError('REDIS_URL is required when NODE_ENV=production (the in-memory store is for trials only)');
  }
  refuseUnscrubbableSecrets(raw);
  const shortestLeaseMs = raw.UPSTREAM_TIMEOUT_MS + raw.REDIS_TIMEOUT_MS + LEASE_MARGIN_MS;
  const reservationLeaseMs = raw.RESERVATION_LEASE_MS ?? raw.UPSTREAM_TIMEOUT_MS * 2 + raw.REDIS_TIMEOUT_MS + 10_000;
  if (reservationLeaseMs < shortestLeaseMs) {
    throw new ConfigError(
      `RESERVATION_LEASE_MS is invalid (at least ${shortestLeaseMs}: UPSTREAM_TIMEOUT_MS + REDIS_TIMEOUT_MS + 5000, or a live submission could lose its reservation)`,
    );
  }
  const { PRICING, WEBHOOK_ALLOWED_HOSTS, ...rest } = raw;
  return Object.freeze({
    ...rest,
    pricing: Object.freeze(parsePricing(PRICING)),
    webhookAllowedHosts: Object.freeze(parseHostList(WEBHOOK_ALLOWED_HOSTS)),
    reservationLeaseMs,
  });
}

function parsePricing(text: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('PRICING is invalid (not JSON)');
  }
  if (!Value.Check(PricingSchema, parsed) || Object.keys(parsed).length === 0) {
    throw new ConfigError('PRICING is invalid (expected a non-empty object of model name to whole credits)');
  }
  const unknown = Object.keys(parsed).filter((model) => !(SUPPORTED_MODELS as readonly string[]).includes(model));
  if (unknown.length > 0) {
    throw new ConfigError(
      `PRICING is invalid (unsupported model ${unknown.join(', ')}; supported: ${SUPPORTED_MODELS.join(', ')})`,
    );
  }
  return parsed;
}

/** A comma-separated list of hosts, blanks dropped. */
function parseHostList(text: string): string[] {
  return text
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean);
}

// Every line the gateway logs is scrubbed of the configured secrets (src/logger.ts), which works
// only for a secret long enough to be told apart from ordinary text, in each form a log line can
// hold it. Tokens the operator makes up for this gateway must stay the same under JSON escaping;
// values set elsewhere (the Apiframe key, Redis passwords) are scrubbed in their escaped forms too.
const MIN_SECRET_LENGTH = 8;
const JSON_ESCAPED = /["\\\u0000-\u001f]/;
type SecretSettings = Pick<
  RawConfig,
  'APIFRAME_API_KEY' | 'ADMIN_TOKEN' | 'METRICS_TOKEN' | 'REDIS_PASSWORD' | 'REDIS_URL' | 'REDIS_CLUSTER_NODES'
>;

function refuseUnscrubbableSecrets(raw: SecretSettings): void {
  for (const variable of ['ADMIN_TOKEN', 'METRICS_TOKEN'] as const) {
    if (JSON_ESCAPED.test(raw[variable] ?? '')) {
      throw new ConfigError(`${variable} is invalid (it may not contain a quote, a backslash or a control character)`);
    }
  }
  for (const [variable, secret] of namedSecrets(raw)) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        `${variable} is invalid (a secret needs at least ${MIN_SECRET_LENGTH} characters to be kept out of logs)`,
      );
    }
  }
}

/** Each configured secret with the variable that holds it; a URL's password decoded and as written. */
function namedSecrets(config: SecretSettings): [variable: string, secret: string][] {
  const named: [string, string | undefined][] = [
    ['APIFRAME_API_KEY', config.APIFRAME_API_KEY],
    ['ADMIN_TOKEN', config.ADMIN_TOKEN],
    ['METRICS_TOKEN', config.METRICS_TOKEN],
    ['REDIS_PASSWORD', config.REDIS_PASSWORD],
    ...urlPasswords('REDIS_URL', config.REDIS_URL),
    ...(config.REDIS_CLUSTER_NODES?.split(',').flatMap((url) => urlPasswords('REDIS_CLUSTER_NODES', url)) ?? []),
  ];
  return named.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

function urlPasswords(variable: string, url: string | undefined): [string, string][] {
  if (!url) return [];
  try {
    const written = new URL(url).password;
    return written ? [...new Set([decodeURIComponent(written), written])].map((password) => [variable, password]) : [];
  } catch {
    throw new ConfigError(`${variable} is invalid (not a valid URL)`);
  }
}

/** Every configured secret, for scrubbing from logs: tokens, keys and Redis passwords. */
export function configSecrets(config: Config): string[] {
  return namedSecrets(config).map(([, secret]) => secret);
}
