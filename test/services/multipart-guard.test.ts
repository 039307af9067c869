// The multipart guard on bodies encoded as clients encode them (FormData), fed in chunks of any
// size: what passes is the body byte for byte, and a body that breaks a rule fails before the
// bytes that break it pass, with nothing passed when no file was accepted.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { sniffFile } from '../../src/domain/uploads.js';
import {
  MultipartGuard,
  multipartBoundary,
  type MultipartRules,
} from '../../src/services/multipart/multipart-guard.js';
import { fileOf, loraForm, uploadForm } from '../helpers/files.js';

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
