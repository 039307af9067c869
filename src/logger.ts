// The gateway's pino logger. Credential headers are redacted by path, and every line is
// scrubbed of the configured secrets (the upstream key, the admin token) as a last line of
// defence, so a secret reaching a log by some unforeseen route is still never written.
import { destination, pino, type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  secrets: string[];
  destination?: DestinationStream;
}

export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
];

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((secret) => secret.length >= 8);
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
