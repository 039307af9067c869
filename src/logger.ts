// The gateway's pino logger. Credential headers are redacted by path, and every line is
// scrubbed of the configured secrets (the upstream key, the admin token), in every escaped form
// a JSON line can hold them, as a last line of defence, so a secret reaching a log by some
// unforeseen route is still never written. Config refuses secrets too short to scrub.
import { destination, pino, type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  secrets: string[];
  destination?: DestinationStream;
}

const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
];

/** A string as it appears inside a JSON string. */
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);

/**
 * Each form a secret can take in a log line: as is, JSON-escaped (a line is JSON), and escaped
 * twice (JSON text logged as a string, an upstream body say); longest first, so a longer form is
 * not broken up by a shorter one.
 */
function scrubbedForms(secrets: string[]): string[] {
  const forms = secrets.flatMap((secret) => [secret, jsonEscaped(secret), jsonEscaped(jsonEscaped(secret))]);
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = scrubbedForms(options.secrets);
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      hooks: {
        streamWrite: (line) => secrets.reduce((text, secret) => text.replaceAll(secret, '[REDACTED]'), line),
      },
    },
    options.destination ?? destination({ dest: 1, sync: false }),
  );
}
