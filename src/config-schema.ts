// The environment the gateway reads, as one TypeBox schema: the source of truth for
// validation (src/config.ts), the configuration's types and the documented configuration table.
import { Type, type Static } from '@sinclair/typebox';

/** What BENCH_WITHOUT may switch off, for `npm run bench`'s cost table. */
export const BENCH_FEATURES = ['validation', 'metrics', 'cors', 'ledger'] as const;
export type BenchFeature = (typeof BENCH_FEATURES)[number];
const BENCH_FEATURE = `(${BENCH_FEATURES.join('|')})`;

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
    description:
      'JSON object of whole credits reserved per job, by model or action (`midjourney:upsample`) of ' +
      'Apiframe’s spec; others are refused until priced.',
  }),
  PRICING_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Path of a JSON file of price rules, ceilings and enabled or disabled models and modalities, by model or ' +
        'action (see Pricing in the README; its rules win over `PRICING`). Checked at start.',
    }),
  ),
  ENABLED_MODELS: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9._:-]*(,[a-z0-9][a-z0-9._:-]*)*$',
      description:
        'Comma-separated models, actions and modalities (`image`, `video`, `music`) the gateway offers; others are ' +
        'answered as unknown. Unset: all.',
    }),
  ),
  CATALOGUE_REFRESH_MS: Type.Integer({
    minimum: 0,
    default: 3_600_000,
    description:
      "How often Apiframe's model catalogue is read again for its prices (`pricingMode`, `costMax`), the last good copy " +
      'kept in the store for every instance (0: its prices are not used, only the operator’s).',
  }),
  CATALOGUE_MAX_AGE_MS: Type.Integer({
    minimum: 1,
    default: 86_400_000,
    description:
      "Age past which Apiframe's catalogue (kept or read) no longer prices anything: a model the operator did not " +
      'price is then refused with 503 pricing unavailable until a fresher one is read. Longer than ' +
      '`CATALOGUE_REFRESH_MS`.',
  }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 30_000,
    description:
      'Time a job submission may wait for a free connection to Apiframe (past it, it is answered 504 without being sent), and time Apiframe may take to send its headers, and each part of its body; past that the submission is replayed with its Idempotency-Key to find the job Apiframe may have made, and answered 504 only when no replay does.',
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
  REDIS_MIN_REPLICAS: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'Replicas that must acknowledge every money write (reservation, job record, settlement, ledger entry) ' +
        'within `REDIS_TIMEOUT_MS` (Redis `WAIT`) before the gateway acts on it; fewer: 503, nothing forwarded. ' +
        'Unset: 1 once the primary (each master, on Cluster) has been seen with a replica, else 0 (a lone Redis ' +
        'sends no `WAIT`). More than the replicas present: not ready.',
    }),
  ),
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
  UPLOAD_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 600_000,
    description:
      'Time a client has to send a whole multipart body to POST /v2/uploads or POST /v2/loras, instead of `REQUEST_TIMEOUT_MS` (50 MB in 10 min needs about 0.7 Mbit/s); slower clients get 408 and nothing is created upstream (0: no limit).',
  }),
  UPLOAD_CONNECTIONS: Type.Integer({
    minimum: 1,
    default: 8,
    description:
      'Connections to Apiframe kept for streamed bodies (uploads, LoRA training), apart from `UPSTREAM_CONNECTIONS`, so job submissions never wait behind slow uploads. An upload waits at most `UPSTREAM_TIMEOUT_MS` for one (then 504, nothing sent).',
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
  ALERT_THRESHOLDS: Type.String({
    pattern: '^(none|[0-9]+(,[0-9]+)*)$',
    default: '50,80,100',
    description:
      'Percents of a budget at which spend raises a budget alert, once per window: comma-separated, in (0, 100], ' +
      'distinct, at most 10; `none` for no threshold alerts. The default of every team and key that sets none; ' +
      'the pricing file’s `alertThresholds` wins over it (see Alerts in the README).',
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
  BENCH_WITHOUT: Type.Optional(
    Type.String({
      pattern: `^${BENCH_FEATURE}(,${BENCH_FEATURE})*$`,
      description:
        'Benchmarking only, refused with `NODE_ENV=production`: comma-separated features switched off to measure ' +
        'what each costs (`npm run bench`): `validation` (request bodies are not checked against their schemas), ' +
        '`metrics` (no per-request HTTP metrics), `cors` (no CORS handling on /v2), `ledger` (Redis only: the ' +
        'money scripts move spend but write no ledger entry and no daily aggregate, so reports miss them).',
    }),
  ),
});

export type RawConfig = Static<typeof ConfigSchema>;
