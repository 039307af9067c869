// How the gateway names the file behind an upload's URL, so that no spelling of another team's
// upload URL gets past the ownership check. Apiframe's CDN URL names the upload by its id (a UUID)
// in its path, so host and path alone identify the file: the scheme (the CDN answers both),
// userinfo, a default port, the query (cache busters, signatures) and the fragment do not make
// another file, and are dropped; the host is lower-cased without a trailing dot, and the path has
// its dot segments resolved, repeated slashes merged and escaped unreserved characters decoded,
// as a server reading it would. A URL that differs only in what is dropped is therefore the same
// upload, which can only refuse more, never less.

/** The longest URL read; a longer one is refused, since a cut one could hide the file it names. */
export const MAX_URL_LENGTH = 8192;
/**
 * Every http(s) URL in a text, wherever it stands (a prompt may carry image URLs), from every place
 * one starts, so that a URL inside another (`https://proxy.example/?u=https://cdn…`) is found too;
 * read no further than one character past MAX_URL_LENGTH, so that each costs a bounded time.
 */
const URL_IN_TEXT = new RegExp(`(?=(https?:[^\\s"'<>]{0,${MAX_URL_LENGTH}}))`, 'gi');
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

/**
 * The URLs a text names as written, one by one (the caller stops when it has read enough), and
 * those it names percent-encoded (`?u=https%3A%2F%2Fcdn…`).
 */
export function* urlsWrittenIn(text: string): Generator<string> {
  for (const [, written] of text.matchAll(URL_IN_TEXT)) yield written!;
  if (!text.includes('%')) return;
  for (const [, written] of text.replace(/%([0-7][0-9a-f])/gi, asciiCharacter).matchAll(URL_IN_TEXT)) yield written!;
}

/** The canonical URLs a URL as written may name: as it stands, and without trailing punctuation. */
export function canonicalFormsOf(written: string): string[] {
  return [written, written.replace(TRAILING_PUNCTUATION, '')]
    .map(canonicalUploadUrl)
    .filter((canonical) => canonical !== undefined);
}

function asciiCharacter(_escaped: string, hex: string): string {
  return String.fromCharCode(Number.parseInt(hex, 16));
}

function decodedIfUnreserved(escaped: string, hex: string): string {
  const character = String.fromCharCode(Number.parseInt(hex, 16));
  return /^[A-Za-z0-9._~-]$/.test(character) ? character : escaped.toUpperCase();
}
