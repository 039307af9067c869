// The canonical form of an upload's URL: every spelling of the same CDN file is one URL, so a
// request cannot name another team's upload by writing its URL differently.
import { describe, expect, it } from 'vitest';
import { canonicalFormsOf, canonicalUploadUrl, MAX_URL_LENGTH, urlsWrittenIn } from '../../src/domain/upload-urls.js';

const urlsInText = (text: string) => [...urlsWrittenIn(text)].flatMap(canonicalFormsOf);

const UPLOAD = 'https://cdn.apiframe.example/uploads/6f1c2a9e-2b4d-4c1e-9f3a-7d5e8b0c1a2f.png';

describe('canonicalUploadUrl', () => {
  it('leaves an upload URL as Apiframe writes it unchanged', () => {
    expect(canonicalUploadUrl(UPLOAD)).toBe(UPLOAD);
  });

  it.each([
    ['a query', `${UPLOAD}?x=1`],
    ['a fragment', `${UPLOAD}#f`],
    ['an upper-case host and scheme', UPLOAD.replace('https://cdn.apiframe.example', 'HTTPS://CDN.Apiframe.EXAMPLE')],
    ['plain http', UPLOAD.replace('https:', 'http:')],
    ['the default port', UPLOAD.replace('.example/', '.example:443/')],
    ['a trailing dot on the host', UPLOAD.replace('.example/', '.example./')],
    ['userinfo', UPLOAD.replace('https://', 'https://someone:secret@')],
    ['doubled slashes', UPLOAD.replace('/uploads/', '//uploads//')],
    ['dot segments', UPLOAD.replace('/uploads/', '/x/../uploads/./')],
    ['escaped unreserved characters', UPLOAD.replace('-2b4d-', '%2D2b4d%2d').replace('.png', '%2Epng')],
    ['no slashes after the scheme', UPLOAD.replace('https://', 'https:')],
    ['backslashes', UPLOAD.replaceAll('/', '\\').replace('https:\\\\', 'https://')],
  ])('reads the same file with %s', (_what, spelling) => {
    expect(canonicalUploadUrl(spelling)).toBe(UPLOAD);
  });

  it('tells apart what names another file: another path, host or port, or an escaped slash', () => {
    for (const other of [
      UPLOAD.replace('.png', '.PNG'),
      UPLOAD.replace('cdn.', 'cdn2.'),
      UPLOAD.replace('.example/', '.example:8443/'),
      UPLOAD.replace('/uploads/', '/uploads%2F'),
    ]) {
      expect(canonicalUploadUrl(other)).not.toBe(UPLOAD);
    }
  });

  it('is undefined for what is no http(s) URL', () => {
    for (const text of ['not a url', 'ftp://cdn.apiframe.example/x.png', 'data:image/png;base64,AAAA', 'https://']) {
      expect(canonicalUploadUrl(text)).toBeUndefined();
    }
  });
});

describe('the URLs in a text', () => {
  it('finds URLs anywhere in a text, with and without the punctuation that follows them', () => {
    const shouting = UPLOAD.replace('https://cdn.apiframe', 'HTTPS://CDN.APIFRAME');
    const text = `${shouting} a cat, like (${UPLOAD}). Also:https://example.com/b.png?x`;
    const found = urlsInText(text);
    expect(found.filter((url) => url === UPLOAD)).toHaveLength(3);
    expect(found).toContain('https://example.com/b.png');
    expect(urlsInText('no links here, only http and https words')).toEqual([]);
  });

  it('finds a URL inside another, as written or percent-encoded', () => {
    expect(urlsInText(`https://proxy.example/fetch?u=${UPLOAD}`)).toContain(UPLOAD);
    expect(urlsInText(`https://proxy.example/fetch?u=${encodeURIComponent(UPLOAD)}`)).toContain(UPLOAD);
  });

  it('reads no URL further than one character past the longest it accepts', () => {
    const [written] = urlsWrittenIn(`https://cdn.example/${'a'.repeat(2 * MAX_URL_LENGTH)}`);
    expect(written!.length).toBeGreaterThan(MAX_URL_LENGTH);
    expect(written!.length).toBeLessThan(MAX_URL_LENGTH + 10);
  });
});
