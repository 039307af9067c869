// A multipart/form-data body checked as it streams through to Apiframe, never held whole. Each
// chunk the caller sends is parsed by busboy (synchronously, part events and file bytes included)
// and passed on unchanged only once everything in it was found within the rules, so what reaches
// Apiframe is the caller's bytes up to the first broken rule and nothing of the chunk breaking it.
// Every byte is counted: a file's (any part busboy sees as a file, whatever form its filename
// takes) against its own and the total limit, every other byte (fields, part headers, delimiters,
// skipped parts) against MAX_FORM_BYTES. Nothing is passed on until the first file part has been
// accepted (`firstFile`), and the closing delimiter is held until `checkEnd` accepts the whole and the
// caller's body has ended; the few bytes clients send after it (a CRLF) are held with it, more are refused.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import { errors, invalidInput } from '../../errors.js';
import { SNIFF_BYTES } from '../../domain/uploads.js';

export interface PartHeaders {
  name: string;
  /** Present for a file part with a filename. */
  filename?: string;
}

export interface MultipartRules {
  /** Checks a text field by its name, once read (throws to refuse it). */
  checkField(part: PartHeaders): void;
  /** Checks a file part from its headers and first bytes: the most bytes it may have, or throws. */
  checkFile(part: PartHeaders, head: Buffer): number;
  /** The most file parts the body may have (default: as many as the other limits allow). */
  maxFiles?: number;
  /** The most bytes all file parts may have together. */
  maxTotalFileBytes: number;
  /** Checks the body once read, from its file parts' names in order (throws to refuse it). */
  checkEnd(files: string[]): void;
}

/** Bytes of a body that are not file content (fields, part headers, delimiters), at most. */
export const MAX_FORM_BYTES = 64 * 1024;
export const MAX_FIELD_BYTES = 8 * 1024;
const MAX_FIELDS = 32;
/** Bytes after the closing delimiter (clients send a CRLF) passed on; past these the body is refused. */
export const MAX_EPILOGUE_BYTES = 1024;

interface FilePart extends PartHeaders {
  stream: Readable;
  head: Buffer[];
  bytes: number;
  max: number;
  checked: boolean;
  ended: boolean;
}

/** Above any chunk a socket delivers: a file stream is read out after every write. */
const FILE_STREAM_HIGH_WATER_MARK = 1 << 30;

export class MultipartGuard extends Transform {
  /** Resolves once the first file part was accepted; rejects when the body fails, ends or is cut off first. */
  readonly firstFile: Promise<void>;
  /** Why the body was refused or cut off, if it was. */
  failure: Error | undefined;
  private readonly parser: busboy.Busboy;
  private readonly closing: Buffer;
  /** The last bytes read, to find a closing delimiter split between chunks. */
  private tail: Buffer = Buffer.from('\r\n');
  private readonly files: FilePart[] = [];
  private fields: { name: string; truncated: boolean }[] = [];
  private parseFailure: Error | undefined;
  private formBytes = 0;
  private totalFileBytes = 0;
  private chunkFileBytes = 0;
  private held: Buffer[] = [];
  private ready = false;
  /** The closing delimiter (what of it came in the last chunk) and what followed it, held until the end. */
  private ending: Buffer[] | undefined;
  private epilogueBytes = 0;
  private settleFirstFile!: (error?: Error) => void;

  constructor(
    boundary: string,
    private readonly rules: MultipartRules,
  ) {
    super();
    this.closing = Buffer.from(`\r\n--${boundary}--`);
    this.firstFile = new Promise<void>((resolve, reject) => {
      this.settleFirstFile = (error) => (error ? reject(error) : resolve());
    });
    this.firstFile.catch(() => undefined);
    this.parser = busboy({
      headers: { 'content-type': multipartContentType(boundary) },
      limits: { files: rules.maxFiles ?? Number.POSITIVE_INFINITY, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES },
      defParamCharset: 'utf8',
      // busboy stops parsing a write once a file stream holds this much unread, and resumes a tick
      // later: each write is read out of the file stream at once (readFile), so it never waits.
      fileHwm: FILE_STREAM_HIGH_WATER_MARK,
    });
    this.listen();
  }

  private listen(): void {
    const broken = (error: Error) => {
      this.parseFailure ??= error;
    };
    this.parser.on('file', (name, stream, info) => {
      stream.on('error', () => undefined);
      const previous = this.files.at(-1);
      if (previous) this.endFile(previous);
      if (name === undefined) broken(invalidInput({ $: ['A part has no name'] }));
      const filename = info.filename;
      const part = { name: name ?? '', stream, head: [], bytes: 0, max: Number.POSITIVE_INFINITY };
      this.files.push({ ...part, ...(filename !== undefined && { filename }), checked: false, ended: false });
    });
    this.parser.on('field', (name, _value, info) => {
      if (name === undefined) broken(invalidInput({ $: ['A part has no name'] }));
      this.fields.push({ name: name ?? '', truncated: info.nameTruncated || info.valueTruncated });
    });
    this.parser.on('filesLimit', () => broken(invalidInput({ $: [`At most ${this.rules.maxFiles} files`] })));
    this.parser.on('fieldsLimit', () => broken(invalidInput({ $: [`At most ${MAX_FIELDS} fields`] })));
    this.parser.on('error', (error: Error) =>
      broken(invalidInput({ $: [`Malformed multipart body: ${error.message}`] })),
    );
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.guarded(done, () => {
      if (this.ending) return this.holdEpilogue(chunk);
      const end = this.closingEnd(chunk);
      const form = end < 0 ? chunk : chunk.subarray(0, end);
      this.parse(form);
      if (end < 0) return this.pass(form);
      this.close();
      const closingStart = Math.max(0, end - this.closing.length);
      this.pass(form.subarray(0, closingStart));
      this.ending = [form.subarray(closingStart)];
      this.holdEpilogue(chunk.subarray(end));
    });
  }

  override _flush(done: TransformCallback): void {
    this.guarded(done, () => {
      if (!this.ending) throw invalidInput({ $: ['The multipart body ends before its closing boundary'] });
      for (const bytes of this.ending) this.push(bytes);
    });
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (error) this.failure ??= error;
    this.settleFirstFile(this.failure ?? invalidInput({ $: ['The multipart body was not read to its end'] }));
    this.parser.destroy();
    for (const file of this.files) file.stream.destroy();
    done(error);
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

  /** Where in `chunk` the first closing delimiter ends, or -1. */
  private closingEnd(chunk: Buffer): number {
    const seen = Buffer.concat([this.tail, chunk]);
    const at = seen.indexOf(this.closing);
    this.tail = seen.subarray(Math.max(0, seen.length - (this.closing.length - 1)));
    return at < 0 ? -1 : at + this.closing.length - (seen.length - chunk.length);
  }

  /** Has busboy read `bytes` and checks all it found; throws before anything of them is passed on. */
  private parse(bytes: Buffer): void {
    this.chunkFileBytes = 0;
    this.parser.write(bytes);
    const current = this.files.at(-1);
    if (current) this.readFile(current);
    if (this.parseFailure) throw this.parseFailure;
    // Each write is parsed at once while file bytes are read as they come; anything else is a bug here.
    if (this.parser.writableLength > 0) throw new Error('The multipart parser fell behind its input');
    this.checkFields();
    this.checkFiles();
    this.formBytes += bytes.length - this.chunkFileBytes;
    if (this.formBytes > MAX_FORM_BYTES) {
      throw invalidInput({ $: [`More than ${MAX_FORM_BYTES} bytes of fields and part headers`] });
    }
  }

  private readFile(part: FilePart): void {
    for (let bytes: Buffer | null = part.stream.read(); bytes !== null; bytes = part.stream.read()) {
      if (part.bytes < SNIFF_BYTES) part.head.push(bytes.subarray(0, SNIFF_BYTES - part.bytes));
      part.bytes += bytes.length;
      this.totalFileBytes += bytes.length;
      this.chunkFileBytes += bytes.length;
    }
  }

  private endFile(part: FilePart): void {
    this.readFile(part);
    part.ended = true;
  }

  private checkFields(): void {
    for (const field of this.fields) {
      if (field.truncated) throw invalidInput({ [field.name]: [`At most ${MAX_FIELD_BYTES} bytes`] });
      this.rules.checkField({ name: field.name });
    }
    this.fields = [];
  }

  /** Checks each file once its first bytes (or all of a shorter one) are in, and every size. */
  private checkFiles(): void {
    for (const part of this.files) {
      if (!part.checked && (part.bytes >= SNIFF_BYTES || part.ended)) this.acceptFile(part);
      if (part.bytes > part.max) throw new errors.UploadTooLarge(`${part.name} is larger than ${part.max} bytes`);
    }
    if (this.totalFileBytes > this.rules.maxTotalFileBytes) {
      throw new errors.UploadTooLarge(`the files are larger than ${this.rules.maxTotalFileBytes} bytes in all`);
    }
  }

  private acceptFile(part: FilePart): void {
    part.max = this.rules.checkFile(part, Buffer.concat(part.head));
    part.checked = true;
    if (this.ready) return;
    this.ready = true;
    for (const held of this.held) this.push(held);
    this.held = [];
    this.settleFirstFile();
  }

  /** The body's closing delimiter was read: every file has ended and the whole is checked. */
  private close(): void {
    const last = this.files.at(-1);
    if (last) this.endFile(last);
    this.checkFiles();
    this.rules.checkEnd(this.files.map((file) => file.name));
    if (!this.ready) throw invalidInput({ file: ['A file is required'] });
  }

  private holdEpilogue(bytes: Buffer): void {
    this.ending!.push(bytes);
    this.epilogueBytes += bytes.length;
    if (this.epilogueBytes > MAX_EPILOGUE_BYTES) {
      throw invalidInput({ $: [`More than ${MAX_EPILOGUE_BYTES} bytes after the closing boundary`] });
    }
  }

  /** Passes `bytes` on, or holds them until the first file is accepted (MAX_FORM_BYTES bounds them). */
  private pass(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.ready) this.push(bytes);
    else this.held.push(bytes);
  }
}

const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const TOKEN = /^[0-9A-Za-z!#$%&'*+.^_`|~-]+$/;

/** The boundary of a multipart/form-data content type (RFC 2046 characters only), or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? '')) return undefined;
  const match = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType!);
  const boundary = match?.[1] ?? match?.[2];
  return boundary !== undefined && BOUNDARY.test(boundary) ? boundary : undefined;
}

/**
 * The content type naming only `boundary`: given to busboy and to Apiframe, so that both read the
 * body with the boundary the guard looks for, whatever else the caller's header said.
 */
export function multipartContentType(boundary: string): string {
  return `multipart/form-data; boundary=${TOKEN.test(boundary) ? boundary : `"${boundary}"`}`;
}
