// The gateway's configuration: loadConfig() validates the environment once against its schema
// (src/config-schema.ts), adds what is derived from it (pricing, allowed webhook hosts, the
// reservation lease) and returns a frozen object; any bad value becomes a ConfigError naming
// the variable. It also knows which settings are secrets, to keep them out of logs.
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { readFileSync } from 'node:fs';
import { type BenchFeature, ConfigSchema, type RawConfig } from './config-schema.js';
import { thresholdsProblem } from './domain/alerts.js';
import { APIFRAME_PRICE_NAMES } from './schemas/apiframe-spec.js';
import {
  operatorPricing,
  type OperatorPricingConfig,
  PricingConfigError,
  type PricingFileText,
} from './schemas/pricing-file.js';

export interface Config extends Omit<RawConfig, 'PRICING' | 'WEBHOOK_ALLOWED_HOSTS' | 'ALERT_THRESHOLDS'> {
  /** The operator's rules (PRICING and PRICING_FILE), ceilings, and the models offered (ENABLED_MODELS too). */
  readonly operatorPricing: OperatorPricingConfig;
  /** Hosts a caller's webhookUrl may name although they are private or loopback (WEBHOOK_ALLOWED_HOSTS). */
  readonly webhookAllowedHosts: readonly string[];
  /** Milliseconds a reservation may stay unattached before the reconciler releases it. */
  readonly reservationLeaseMs: number;
  /** The alert thresholds of a team or key that sets none: the pricing file's, else ALERT_THRESHOLDS. */
  readonly alertThresholds: readonly number[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Clock skew between instances a lease tolerates (the reconciler compares it with its own clock). */
const LEASE_MARGIN_MS = 5_000;

const PricingSchema = Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9._:-]*$' }), Type.Integer({ minimum: 0 }));

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
  refuseBenchSwitches(raw, redisModes.length > 0);
  const shortestLeaseMs = raw.UPSTREAM_TIMEOUT_MS + raw.REDIS_TIMEOUT_MS + LEASE_MARGIN_MS;
  const reservationLeaseMs = raw.RESERVATION_LEASE_MS ?? raw.UPSTREAM_TIMEOUT_MS * 2 + raw.REDIS_TIMEOUT_MS + 10_000;
  if (reservationLeaseMs < shortestLeaseMs) {
    throw new ConfigError(
      `RESERVATION_LEASE_MS is invalid (at least ${shortestLeaseMs}: UPSTREAM_TIMEOUT_MS + REDIS_TIMEOUT_MS + 5000, or a live submission could lose its reservation)`,
    );
  }
  if (raw.CATALOGUE_REFRESH_MS > 0 && raw.CATALOGUE_MAX_AGE_MS <= raw.CATALOGUE_REFRESH_MS) {
    throw new ConfigError(
      'CATALOGUE_MAX_AGE_MS is invalid (longer than CATALOGUE_REFRESH_MS, or the catalogue would go stale between reads)',
    );
  }
  const { PRICING, WEBHOOK_ALLOWED_HOSTS, ALERT_THRESHOLDS, ...rest } = raw;
  const pricing = readOperatorPricing(parsePricing(PRICING), raw);
  return Object.freeze({
    ...rest,
    operatorPricing: Object.freeze(pricing),
    webhookAllowedHosts: Object.freeze(parseHostList(WEBHOOK_ALLOWED_HOSTS)),
    reservationLeaseMs,
    alertThresholds: Object.freeze(pricing.alertThresholds ?? parseThresholds(ALERT_THRESHOLDS)),
  });
}

/** ALERT_THRESHOLDS as percents (the schema checked its shape). */
function parseThresholds(text: string): number[] {
  const thresholds = text === 'none' ? [] : text.split(',').map(Number);
  const problem = thresholdsProblem(thresholds);
  if (problem) throw new ConfigError(`ALERT_THRESHOLDS is invalid (${problem})`);
  return thresholds;
}

/** BENCH_WITHOUT takes out guarantees a deployment relies on (validation, the ledger): never in production. */
function refuseBenchSwitches(raw: RawConfig, hasRedis: boolean): void {
  if (raw.BENCH_WITHOUT === undefined) return;
  if (raw.NODE_ENV === 'production') {
    throw new ConfigError('BENCH_WITHOUT is invalid (a benchmarking switch, refused when NODE_ENV=production)');
  }
  if (benchWithout(raw, 'ledger') && !hasRedis) {
    throw new ConfigError('BENCH_WITHOUT is invalid (ledger switches off writes of the Redis scripts: set REDIS_URL)');
  }
}

/** Whether the benchmark switched `feature` off (BENCH_WITHOUT). */
export function benchWithout(config: Pick<RawConfig, 'BENCH_WITHOUT'>, feature: BenchFeature): boolean {
  return config.BENCH_WITHOUT?.split(',').includes(feature) ?? false;
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
  const unknown = Object.keys(parsed).filter((model) => !APIFRAME_PRICE_NAMES.includes(model));
  if (unknown.length > 0) {
    throw new ConfigError(
      `PRICING is invalid (unsupported model ${unknown.join(', ')}; not a model or action of Apiframe's spec ` +
        'in openapi/apiframe/, e.g. seedream-4, kling-2.1, midjourney:upsample)',
    );
  }
  return parsed;
}

function readOperatorPricing(pricing: Record<string, number>, raw: RawConfig): OperatorPricingConfig {
  try {
    return operatorPricing(
      pricing,
      raw.PRICING_FILE ? readPricingFile(raw.PRICING_FILE) : undefined,
      raw.ENABLED_MODELS,
    );
  } catch (error) {
    if (error instanceof PricingConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function readPricingFile(path: string): PricingFileText {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new ConfigError(`PRICING_FILE is invalid (${path}: ${(error as Error).message})`);
  }
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
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes, so what is refused.
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
