// A multipart/form-data body checked as it streams through to Apiframe, never held whole: each
// part's headers are read, a file part's first bytes sniffed and its size counted, and the
// stream fails (the upstream request with it) as soon as a rule is broken, before the bytes that
// break it are passed on. Nothing is passed on until the first file part has been accepted
// (`firstFile`), and the body's closing delimiter only once `checkEnd` accepts the whole: an
// upstream that receives a broken body never receives a complete one.
import { Transform, type TransformCallback } from 'node:stream';
import { errors, invalidInput } from '../../errors.js';
import { SNIFF_BYTES } from '../../domain/uploads.js';

export interface PartHeaders {
  name: string;
  /** Present for a file part. */
  filename?: string;
}

export interface MultipartRules {
  /** Checks a text field by its name (throws to refuse it). */
  checkField(part: PartHeaders): void;
  /** Checks a file part from its headers and first bytes: the most bytes it may have, or throws. */
  checkFile(part: PartHeaders, head: Buffer): number;
  /** The most bytes all file parts may have together. */
  maxTotalFileBytes: number;
  /** Checks the body once read, from its file parts' names in order (throws to refuse it). */
  checkEnd(files: string[]): void;
}

/** Bytes before the first file (text fields) and in one part's headers, at most. */
const MAX_HELD_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 8 * 1024;

type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'end';

export class MultipartGuard extends Transform {
  /** Resolves once the first file part was accepted; rejects when the body fails or ends first. */
  readonly firstFile: Promise<void>;
  /** The rule the body broke, if it broke one. */
  failure: Error | undefined;
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  private pending: Buffer = Buffer.alloc(0);
  private held: Buffer[] = [];
  private heldBytes = 0;
  private ready = false;
  private part: (PartHeaders & { head: Buffer[]; bytes: number; max: number }) | undefined;
  private totalFileBytes = 0;
  private readonly files: string[] = [];
  private settleFirstFile!: (error?: Error) => void;

  constructor(
    boundary: string,
    private readonly rules: MultipartRules,
  ) {
    super();
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    this.firstFile = new Promise<void>((resolve, reject) => {
      this.settleFirstFile = (error) => (error ? reject(error) : resolve());
    });
    this.firstFile.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.guarded(done, () => this.scan());
  }

  override _flush(done: TransformCallback): void {
    this.guarded(done, () => {
      if (this.state !== 'end') throw invalidInput({ $: ['The multipart body ends before its closing boundary'] });
      this.rules.checkEnd(this.files);
      if (!this.ready) throw invalidInput({ file: ['A file is required'] });
      this.push(this.pending);
    });
  }

  private guarded(done: TransformCallback, step: () => void): void {
    try {
      step();
      done();
    } catch (error) {
      this.failure = error as Error;
      this.settleFirstFile(this.failure);
      done(this.failure);
    }
  }

  /** Consumes what `pending` holds, as far as it can be understood. */
  private scan(): void {
    while (this.step()) {}
  }

  /** One step of the parse; false when more bytes are needed. */
  private step(): boolean {
    switch (this.state) {
      case 'preamble': {
        // The first delimiter may open the body, without the CRLF the others have.
        const opening = this.delimiter.subarray(2);
        const at = this.pending.indexOf(opening);
        if (at < 0) return this.keepTail(opening.length, () => undefined);
        this.pass(at + opening.length);
        this.state = 'delimiter';
        return true;
      }
      case 'delimiter': {
        if (this.pending.length < 2) return false;
        const after = this.pending.subarray(0, 2).toString('latin1');
        if (after === '--') {
          this.state = 'end';
          return false;
        }
        if (after !== '\r\n') throw invalidInput({ $: ['Malformed multipart body'] });
        this.pass(2);
        this.state = 'headers';
        return true;
      }
      case 'headers':
        return this.readHeaders();
      case 'body':
        return this.readBody();
      case 'end':
        return false;
    }
  }

  private readHeaders(): boolean {
    const end = this.pending.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.pending.length > MAX_HEADER_BYTES) throw invalidInput({ $: ['A part’s headers are too long'] });
      return false;
    }
    const headers = this.pending.subarray(0, end).toString('utf8');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw invalidInput({ $: ['A part has no name'] });
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    const part: PartHeaders = { name, ...(filename !== undefined && { filename }) };
    if (filename === undefined) this.rules.checkField(part);
    this.part = { ...part, head: [], bytes: 0, max: Number.POSITIVE_INFINITY };
    this.pass(end + 4);
    this.state = 'body';
    return true;
  }

  private readBody(): boolean {
    const at = this.pending.indexOf(this.delimiter);
    if (at < 0) return this.keepTail(this.delimiter.length, (bytes) => this.count(bytes, false));
    this.count(this.pending.subarray(0, at), true);
    this.pass(at);
    // The delimiter stays pending until what follows it says whether it closes the body.
    if (this.pending.length < this.delimiter.length + 2) return false;
    const closing = this.pending.subarray(this.delimiter.length, this.delimiter.length + 2).toString('latin1') === '--';
    if (closing) {
      this.state = 'end';
      return false;
    }
    this.pass(this.delimiter.length);
    this.state = 'delimiter';
    return true;
  }

  /** Passes on what cannot start a delimiter of `length` bytes, told to `seen` first. */
  private keepTail(length: number, seen: (bytes: Buffer) => void): false {
    const safe = this.pending.length - (length - 1);
    if (safe > 0) {
      seen(this.pending.subarray(0, safe));
      this.pass(safe);
    }
    return false;
  }

  /** Counts a file part's bytes, sniffing its first ones; `last` when the part ends with them. */
  private count(bytes: Buffer, last: boolean): void {
    const part = this.part!;
    if (part.filename === undefined) return;
    if (part.bytes < SNIFF_BYTES) part.head.push(bytes.subarray(0, SNIFF_BYTES - part.bytes));
    const sniffed = part.bytes >= SNIFF_BYTES;
    part.bytes += bytes.length;
    this.totalFileBytes += bytes.length;
    if (!sniffed && (part.bytes >= SNIFF_BYTES || last)) this.acceptFile(part);
    if (part.bytes > part.max) throw new errors.UploadTooLarge(`${part.name} is larger than ${part.max} bytes`);
    if (this.totalFileBytes > this.rules.maxTotalFileBytes) {
      throw new errors.UploadTooLarge(`the files are larger than ${this.rules.maxTotalFileBytes} bytes in all`);
    }
  }

  private acceptFile(part: NonNullable<MultipartGuard['part']>): void {
    part.max = this.rules.checkFile(part, Buffer.concat(part.head));
    this.files.push(part.name);
    if (this.ready) return;
    this.ready = true;
    for (const held of this.held) this.push(held);
    this.held = [];
    this.settleFirstFile();
  }

  /** Passes on the first `length` bytes of `pending`: held until the first file is accepted. */
  private pass(length: number): void {
    const bytes = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    if (this.ready) {
      this.push(bytes);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (this.heldBytes > MAX_HELD_BYTES + SNIFF_BYTES) {
      throw invalidInput({ $: [`More than ${MAX_HELD_BYTES} bytes of fields before the first file`] });
    }
  }
}

/** The boundary of a multipart/form-data content type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? '')) return undefined;
  const match = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType!);
  return match?.[1] ?? match?.[2];
}
