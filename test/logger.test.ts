import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('the logger', () => {
  it('redacts credential headers by path', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', secrets: [], destination });
    log.info(
      { req: { headers: { 'x-api-key': 'gk_caller_key', authorization: 'Bearer gk_other', host: 'gw' } } },
      'request',
    );
    expect(lines.join('')).not.toContain('gk_');
    expect(lines.join('')).toContain('"x-api-key":"[REDACTED]"');
    expect(lines.join('')).toContain('"host":"gw"');
  });

  it('scrubs configured secrets wherever they appear in a line', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', secrets: ['afk_real_company_key'], destination });
    log.error({ err: new Error('failed with afk_real_company_key') }, 'upstream said afk_real_company_key');
    expect(lines.join('')).not.toContain('afk_real_company_key');
    expect(lines.join('')).toContain('[REDACTED]');
  });

  it('scrubs a secret that JSON escaping changes, in each form a line can hold it', () => {
    const { lines, destination } = capture();
    const secret = 'afk_"quoted\\back\nslash';
    const log = createLogger({ level: 'info', secrets: [secret], destination });
    log.error({ err: new Error(`failed with ${secret}`) }, `upstream said ${secret}`);
    log.warn({ body: JSON.stringify({ echoed: secret }) }, 'upstream answered');
    const escaped = JSON.stringify(secret).slice(1, -1);
    const escapedTwice = JSON.stringify(escaped).slice(1, -1);
    for (const line of lines) {
      for (const form of [secret, escaped, escapedTwice]) expect(line).not.toContain(form);
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line).toContain('[REDACTED]');
    }
    expect(lines).toHaveLength(2);
  });

  it('keeps a line JSON when one form of a secret holds another', () => {
    const { lines, destination } = capture();
    const secret = '"starts-with-a-quote';
    const log = createLogger({ level: 'info', secrets: [secret], destination });
    log.info(`token ${secret}`);
    expect(JSON.parse(lines[0]!).msg).toBe('token [REDACTED]');
  });
});
