// The gateway's configuration: one TypeBox schema is the source of truth for validation,
// types and the documented configuration table. loadConfig() validates the environment once
// and returns a frozen object; any bad value becomes a ConfigError naming the variable.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SUPPORTED_MODELS } from './schemas/generate.js';

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port the gateway listens on.' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Interface the gateway binds to.' }),
  LISTEN_BACKLOG: Type.Integer({
    minimum: 1,
    default: 4_096,
    description: 'Connections the kernel may queue before the gateway accepts them (capped by `net.core.somaxconn`); Node defaults to 511, which thousands of clients connecting at once overflow.',
  }),
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: '`production` refuses to start without Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS`).',
  }),
  APIFRAME_API_KEY: Type.String({
    minLength: 1,
    description: "The company's real Apiframe key (`afk_…`). Sent upstream only; never logged or returned.",
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
      description: 'Redis Sentinel instead: comma-separated `host:port` of the sentinels (with `REDIS_SENTINEL_MASTER`).',
    }),
  ),
  REDIS_SENTINEL_MASTER: Type.String({ minLength: 1, default: 'mymaster', description: 'The master name the sentinels watch.' }),
  REDIS_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'Password for Sentinel-managed Redis (URLs carry their own).' })),
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'Bearer token for the `/admin` API (at least 16 characters). Unset: admin routes are off.',
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
    description: 'Time Apiframe may take to send its response headers, and to send each part of its body, before the caller gets 504.',
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
        'How long a reservation may wait for Apiframe before the reconciler releases it (a crashed instance). Default: twice `UPSTREAM_TIMEOUT_MS` plus 10 s; must exceed `UPSTREAM_TIMEOUT_MS`.',
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
    description: 'Job reads (and /v2/me, /v2/usage) a key may make per minute unless the key sets its own (0: no limit).',
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
      description: 'The URL Apiframe reaches this gateway at, for webhooks. Unset: requests with a `webhookUrl` are refused.',
    }),
  ),
  WEBHOOK_ALLOW_HTTP: Type.Boolean({ default: false, description: 'Accept plain-http `webhookUrl`s on port 80 (https on port 443 only otherwise).' }),
  WEBHOOK_ALLOWED_HOSTS: Type.String({
    default: '',
    description: 'Comma-separated hosts a `webhookUrl` may name even though they are private or loopback, on any port (internal receivers).',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'Bearer token that opens `/metrics` on the main port. Unset (and no `METRICS_PORT`): no metrics endpoint.',
    }),
  ),
  METRICS_PORT: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 65535, description: 'Serve `/metrics` without a token on this separate port instead (bound to `HOST`).' }),
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

export interface Config extends Omit<RawConfig, 'PRICING'> {
  /** Credits charged per generation, by model; only these models are accepted. */
  readonly pricing: Readonly<Record<string, number>>;
  /** Milliseconds a reservation may stay unattached before the reconciler releases it. */
  readonly reservationLeaseMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
  const redisModes = [raw.REDIS_URL, raw.REDIS_CLUSTER_NODES, raw.REDIS_SENTINELS].filter((value) => value !== undefined);
  if (redisModes.length > 1) {
    throw new ConfigError('REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS are alternatives: set only one');
  }
  if (raw.NODE_ENV === 'production' && redisModes.length === 0) {
    throw new ConfigError('REDIS_URL is required when NODE_ENV=production (the in-memory store is for trials only)');
  }
  const reservationLeaseMs = raw.RESERVATION_LEASE_MS ?? raw.UPSTREAM_TIMEOUT_MS * 2 + 10_000;
  if (reservationLeaseMs <= raw.UPSTREAM_TIMEOUT_MS) {
    throw new ConfigError('RESERVATION_LEASE_MS is invalid (it must exceed UPSTREAM_TIMEOUT_MS, or live requests would lose their credits)');
  }
  const { PRICING, ...rest } = raw;
  return Object.freeze({
    ...rest,
    pricing: Object.freeze(parsePricing(PRICING)),
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
    throw new ConfigError(`PRICING is invalid (unsupported model ${unknown.join(', ')}; supported: ${SUPPORTED_MODELS.join(', ')})`);
  }
  return parsed;
}

/** Every configured secret, for scrubbing from logs: tokens, keys and Redis passwords. */
export function configSecrets(config: Config): string[] {
  const urlPasswords = [config.REDIS_URL, ...(config.REDIS_CLUSTER_NODES?.split(',') ?? [])].flatMap((url) => {
    const password = url ? decodeURIComponent(new URL(url).password) : '';
    return password ? [password] : [];
  });
  const secrets = [config.APIFRAME_API_KEY, config.ADMIN_TOKEN, config.METRICS_TOKEN, config.REDIS_PASSWORD, ...urlPasswords];
  return secrets.filter((secret): secret is string => secret !== undefined);
}
