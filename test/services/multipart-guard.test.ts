// The multipart guard on bodies encoded as clients encode them (FormData), fed in chunks of any
// size: what passes is the body byte for byte, and a body that breaks a rule fails before the
// bytes that break it pass, with nothing passed when no file was accepted.
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { sniffFile } from '../../src/domain/uploads.js';
import {
  MAX_FIELD_BYTES,
  MAX_FORM_BYTES,
  MultipartGuard,
  multipartBoundary,
  type MultipartRules,
} from '../../src/services/multipart/multipart-guard.js';
import { loraRules } from '../../src/services/objects/loras.js';
import { checkedForm } from '../../src/services/objects/streamed-form.js';
import { UPLOAD_RULES } from '../../src/services/objects/uploads.js';
import { fileOf, loraForm, type RawPart, rawMultipart, uploadForm } from '../helpers/files.js';

async function encoded(form: FormData) {
  const response = new Response(form);
  const contentType = response.headers.get('content-type')!;
  return { body: Buffer.from(await response.arrayBuffer()), boundary: multipartBoundary(contentType)! };
}

const uploadRules = (max = 5000): MultipartRules => ({
  checkField: () => undefined,
  checkFile: (part, head) => {
    if (part.name !== 'file' || !sniffFile(head)) throw new Error('refused');
    return max;
  },
  maxTotalFileBytes: Number.POSITIVE_INFINITY,
  checkEnd: (files) => {
    if (!files.includes('file')) throw new Error('no file');
  },
});

/** Runs `body` through a guard in chunks of `chunkSize`; what passed, and the failure if any. */
async function guard(body: Buffer, boundary: string, rules: MultipartRules, chunkSize: number) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  const passed: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      passed.push(chunk);
      done();
    },
  });
  const checked = new MultipartGuard(boundary, rules);
  const failure = await pipeline(Readable.from(chunks), checked, sink).then(
    () => undefined,
    (error: Error) => error,
  );
  return {
    passed: Buffer.concat(passed),
    failure,
    firstFile: checked.firstFile.then(
      () => true,
      () => false,
    ),
  };
}

describe('the multipart guard', () => {
  it('passes a valid body on byte for byte, whatever the chunks', async () => {
    const { body, boundary } = await encoded(uploadForm(fileOf('png', 3000), 'a.png'));
    for (const size of [1, 7, 64, 1000, body.length]) {
      const result = await guard(body, boundary, uploadRules(), size);
      expect(result.failure).toBeUndefined();
      expect(result.passed.equals(body)).toBe(true);
      expect(await result.firstFile).toBe(true);
    }
  });

  it('passes a large file on whole in the chunks a busy socket delivers, above a stream’s 16 KB', async () => {
    const { body, boundary } = await encoded(uploadForm(fileOf('png', 2 * 1024 * 1024), 'a.png'));
    for (const size of [16_385, 65_536, 70_000, 1_000_000]) {
      const result = await guard(body, boundary, uploadRules(3 * 1024 * 1024), size);
      expect(result.failure, `chunks of ${size}`).toBeUndefined();
      expect(result.passed.equals(body)).toBe(true);
    }
  });

  it('counts 15 LoRA images and their fields', async () => {
    const { body, boundary } = await encoded(loraForm(15));
    const files: string[][] = [];
    const rules = { ...uploadRules(), checkFile: () => 10_000, checkEnd: (names: string[]) => void files.push(names) };
    const result = await guard(body, boundary, rules, 333);
    expect(result.failure).toBeUndefined();
    expect(files[0]).toHaveLength(15);
    expect(result.passed.equals(body)).toBe(true);
  });

  it('passes nothing of a body without a file', async () => {
    const form = new FormData();
    form.append('other', 'value');
    const { body, boundary } = await encoded(form);
    const result = await guard(body, boundary, uploadRules(), 10);
    expect(result.failure?.message).toBe('no file');
    expect(result.passed.length).toBe(0);
    expect(await result.firstFile).toBe(false);
  });

  it('fails an oversize file before the bytes past its limit pass, and never passes the closing delimiter', async () => {
    const { body, boundary } = await encoded(uploadForm(fileOf('png', 20_000), 'a.png'));
    const result = await guard(body, boundary, uploadRules(5000), 1000);
    expect(result.failure).toMatchObject({ statusCode: 413 });
    expect(result.passed.length).toBeLessThan(5000 + 400);
    expect(result.passed.includes(`--${boundary}--`)).toBe(false);
  });

  it('refuses an unsupported file from its first bytes', async () => {
    const { body, boundary } = await encoded(uploadForm(fileOf('text', 5000)));
    const result = await guard(body, boundary, uploadRules(), 5);
    expect(result.failure?.message).toBe('refused');
    expect(result.passed.length).toBe(0);
  });

  it('reads the boundary of a multipart content type only', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('application/json')).toBeUndefined();
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
  });
});

const BOUNDARY = 'guard-boundary';
const png = (bytes: number) => ({ type: 'png' as const, bytes });

/** Streams `parts` through a guard; how many bytes passed, whether the closing delimiter did, and the failure. */
async function through(rules: MultipartRules, parts: RawPart[], epilogue?: string) {
  let passedBytes = 0;
  let last = Buffer.alloc(0);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      passedBytes += chunk.length;
      last = Buffer.concat([last, chunk]).subarray(-200);
      done();
    },
  });
  const checked = new MultipartGuard(BOUNDARY, rules);
  const failure = await pipeline(Readable.from(rawMultipart(BOUNDARY, parts, epilogue)), checked, sink).then(
    () => undefined,
    (error: Error) => error,
  );
  return { passedBytes, closed: last.includes(`--${BOUNDARY}--`), failure };
}

/** Rules that accept any `file` of up to `max` bytes and note the parts they were asked about. */
function notingRules(max: number) {
  const seen: string[] = [];
  const rules: MultipartRules = {
    checkField: (part) => void seen.push(`field ${part.name}`),
    checkFile: (part) => {
      seen.push(`file ${part.name}`);
      if (part.name !== 'file') throw new Error(`refused ${part.name}`);
      return max;
    },
    maxTotalFileBytes: Number.POSITIVE_INFINITY,
    checkEnd: () => undefined,
  };
  return { rules, seen };
}

describe('the multipart guard counts every byte', () => {
  const smallFile: RawPart = { disposition: 'name="file"; filename="a.png"', content: png(100) };

  it('takes a part with an unquoted or an RFC 5987 filename for a file, held to its limit', async () => {
    for (const disposition of ['name="file"; filename=b.png', `name="file"; filename*=UTF-8''b%C3%A9.png`]) {
      const { rules, seen } = notingRules(5000);
      const result = await through(rules, [smallFile, { disposition, content: png(300_000) }]);
      expect(seen).toEqual(['file file', 'file file']);
      expect(result.failure).toMatchObject({ statusCode: 413 });
      expect(result.passedBytes).toBeLessThan(5000 + 64 * 1024);
      expect(result.closed).toBe(false);
    }
  });

  it('reads a part’s name, not its filename, when the filename comes first', async () => {
    const { rules, seen } = notingRules(5000);
    const result = await through(rules, [{ disposition: 'filename="name.png"; name="file"', content: png(100) }]);
    expect(result.failure).toBeUndefined();
    expect(seen).toEqual(['file file']);
  });

  it('refuses a large field after the first file before its bytes pass', async () => {
    const { rules } = notingRules(5000);
    const result = await through(rules, [smallFile, { disposition: 'name="note"', content: 'x'.repeat(3_000_000) }]);
    expect(result.failure).toMatchObject({ statusCode: 400 });
    expect(result.passedBytes).toBeLessThan(MAX_FORM_BYTES + 64 * 1024);
    expect(result.closed).toBe(false);
  });

  it('refuses a field longer than MAX_FIELD_BYTES, naming it', async () => {
    const { rules } = notingRules(5000);
    const field = { disposition: 'name="note"', content: 'x'.repeat(MAX_FIELD_BYTES + 1) };
    const result = await through(rules, [field, smallFile]);
    expect(result.failure).toMatchObject({ statusCode: 400, details: { note: [expect.any(String)] } });
    expect(result.passedBytes).toBe(0);
  });

  it('holds a few bytes after the closing delimiter with it, and refuses more, passing none of them', async () => {
    const { rules } = notingRules(5000);
    const small = await through(rules, [smallFile], '\r\n'.repeat(10));
    expect(small.failure).toBeUndefined();
    expect(small.closed).toBe(true);
    const large = await through(rules, [smallFile], 'x'.repeat(60 * 1024 * 1024));
    expect(large.failure).toMatchObject({ statusCode: 400 });
    expect(large.passedBytes).toBeLessThan(1000);
    expect(large.closed).toBe(false);
  });
});

describe('the multipart guard on LoRA training images', () => {
  const MB = 1024 * 1024;
  const images = (sizes: number[]): RawPart[] => [
    { disposition: 'name="name"', content: 'my face' },
    ...sizes.map((bytes, i) => ({ disposition: `name="images"; filename="${i}.png"`, content: png(bytes) })),
  ];

  it('refuses an image over 10 MB once it passes 10 MB', async () => {
    const result = await through(loraRules(), images([...Array(14).fill(1024), 10 * MB + 1]));
    expect(result.failure).toMatchObject({ statusCode: 413, message: expect.stringMatching(/images is larger/) });
    expect(result.passedBytes).toBeLessThanOrEqual(10 * MB + 14 * 1024 + 64 * 1024);
    expect(result.closed).toBe(false);
  });

  it('refuses images over 100 MB in all once they pass 100 MB', async () => {
    const result = await through(loraRules(), images(Array(15).fill(10 * MB)));
    expect(result.failure).toMatchObject({ statusCode: 413, message: expect.stringMatching(/in all/) });
    expect(result.passedBytes).toBeLessThanOrEqual(100 * MB + 64 * 1024);
    expect(result.closed).toBe(false);
  });

  it('refuses a 31st image as soon as it starts', async () => {
    const result = await through(loraRules(), images(Array(31).fill(1024)));
    expect(result.failure).toMatchObject({ statusCode: 400 });
    expect(result.passedBytes).toBeLessThan(30 * (1024 + 100) + 100);
  });
});

describe('a streamed form cut off by its caller', () => {
  it('settles, rejecting, when the body fails or closes before the first file', async () => {
    for (const cutOff of [
      (body: PassThrough) => body.destroy(new Error('aborted')),
      (body: PassThrough) => body.destroy(),
    ]) {
      const body = new PassThrough();
      const form = checkedForm({ body, contentType: `multipart/form-data; boundary=${BOUNDARY}`, rules: UPLOAD_RULES });
      body.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello`);
      setTimeout(() => cutOff(body), 10);
      await expect(form).rejects.toMatchObject({ statusCode: 400 });
    }
  });
});
