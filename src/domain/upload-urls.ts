// How the gateway names the file behind an upload's URL, so that no spelling of another team's
// upload URL gets past the ownership check. Apiframe's CDN URL names the upload by its id (a UUID)
// in its path, so host and path alone identify the file: the scheme (the CDN answers both),
// userinfo, a default port, the query (cache busters, signatures) and the fragment do not make
// another file, and are dropped; the host is lower-cased without a trailing dot, and the path has
// its dot segments resolved, repeated slashes merged and escaped unreserved characters decoded,
// as a server reading it would. A URL that differs only in what is dropped is therefore the same
// upload, which can only refuse more, never less.

/** Every http(s) URL in a text, wherever it stands (a prompt may carry image URLs). */
const URL_IN_TEXT = /https?:[^\s"'<>]+/gi;
/** Punctuation that ends a sentence rather than a URL: `see https://…/a.png.` */
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/** The canonical form of an http(s) URL (`https://host[:port]/path`), undefined when it is none. */
export function canonicalUploadUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
  const host = url.hostname.replace(/\.+$/, '');
  const port = url.port === '' || url.port === '80' || url.port === '443' ? '' : `:${url.port}`;
  const path = url.pathname.replace(/%([0-9a-f]{2})/gi, decodedIfUnreserved).replace(/\/{2,}/g, '/');
  return `https://${host}${port}${path}`;
}

/** The canonical URLs a text names, each as written and without trailing punctuation. */
export function urlsInText(text: string): string[] {
  const found: string[] = [];
  for (const [match] of text.matchAll(URL_IN_TEXT)) {
    for (const candidate of [match, match.replace(TRAILING_PUNCTUATION, '')]) {
      const canonical = canonicalUploadUrl(candidate);
      if (canonical !== undefined) found.push(canonical);
    }
  }
  return found;
}

function decodedIfUnreserved(escaped: string, hex: string): string {
  const character = String.fromCharCode(Number.parseInt(hex, 16));
  return /^[A-Za-z0-9._~-]$/.test(character) ? character : escaped.toUpperCase();
}
