// `usage statement <team>`: a team's monthly statement (HTML or CSV) from the gateway, written to
// a file or to stdout as it arrives.
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { CliError, type AdminClient } from './admin-client.js';

export function registerStatementCommand(usage: Command, client: () => AdminClient): void {
  usage
    .command('statement <team>')
    .description("a team's statement for a month: a printable HTML page, or CSV")
    .option('--month <month>', 'calendar month (UTC), YYYY-MM; default: the current one')
    .option('--format <format>', 'html or csv', 'html')
    .option('--output <file>', 'file to write (default: stdout)')
    .action(async (team: string, options: { month?: string; format: string; output?: string }) => {
      if (!['html', 'csv'].includes(options.format)) throw new CliError('--format must be html or csv');
      const query = new URLSearchParams({ format: options.format, ...(options.month && { month: options.month }) });
      const body = await client().stream(`/usage/statements/${encodeURIComponent(team)}?${query}`);
      const target: Writable = options.output ? createWriteStream(options.output) : process.stdout;
      await pipeline(Readable.fromWeb(body as ReadableStream<Uint8Array>), target, { end: Boolean(options.output) });
      if (options.output) process.stderr.write(`Wrote the statement of team ${team} to ${options.output}\n`);
    });
}
