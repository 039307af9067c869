// The URLs a job body names, as the ownership check reads them: every string searched, each URL in
// canonical form once, and a body that would take too long to read refused with 400 rather than
// read in part.
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH } from '../../src/domain/upload-urls.js';
import { urlsIn } from '../../src/services/object-references.js';

const refusal = (value: unknown) => {
  try {
    urlsIn(value);
  } catch (error) {
    return {
      statusCode: (error as { statusCode: number }).statusCode,
      details: (error as { details: unknown }).details,
    };
  }
  return undefined;
};

describe('urlsIn', () => {
  it('finds each URL of every nested string once, in canonical form', () => {
    const body = { a: ['see https://CDN.example/x.png?1', { b: 'http://cdn.example/x.png#2' }], n: 3 };
    expect(urlsIn(body)).toEqual(['https://cdn.example/x.png']);
  });

  it('refuses a URL longer than it reads, since a cut one could hide the file it names', () => {
    const padded = `https://cdn.example/${'./'.repeat(MAX_URL_LENGTH)}x.png`;
    expect(refusal({ image: padded })).toEqual({
      statusCode: 400,
      details: { $: [`names a URL longer than ${MAX_URL_LENGTH} characters`] },
    });
  });

  it('refuses more than 64 distinct URLs, and more than 256 places a URL starts', () => {
    const distinct = Array.from({ length: 65 }, (_, i) => `https://example.com/${i}.png`);
    expect(refusal(distinct)).toMatchObject({ statusCode: 400, details: { $: [expect.stringMatching(/64/)] } });
    expect(urlsIn(distinct.slice(0, 64))).toHaveLength(64);
    expect(refusal(Array(300).fill('https://example.com/same.png'))).toMatchObject({ statusCode: 400 });
    expect(refusal('https:'.repeat(1_000_000))).toMatchObject({ statusCode: 400 });
  });
});
