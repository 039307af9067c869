// Streams a ledger export to a file, counting entries as they pass, with a progress bar on
// a terminal (nothing is drawn when stderr is not one).
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { SingleBar } from 'cli-progress';

export interface ExportOptions {
  file: string;
  /** Entries the export should hold (from the report totals), for the bar's length. */
  expected: number;
  /** CSV: the first line is a header, not an entry. */
  header: boolean;
}

export async function exportLedger(body: ReadableStream<Uint8Array>, options: ExportOptions): Promise<number> {
  const bar = new SingleBar({
    format: 'exporting [{bar}] {percentage}% {value}/{total} entries',
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(Math.max(options.expected, 1), 0);
  let lines = options.header ? -1 : 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (const byte of chunk) if (byte === 10) lines++;
      bar.update(Math.max(0, Math.min(lines, options.expected)));
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body), counter, createWriteStream(options.file));
  } finally {
    bar.stop();
  }
  return Math.max(lines, 0);
}
