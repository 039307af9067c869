// The web example's backend: plain Node, no dependencies. It signs its visitor in as a fixed demo
// user (a cookie; a real site uses its own login), mints one short-lived browser key per session
// from the gateway with the site's server key, and serves the page that calls the gateway itself.
//   GATEWAY_URL=http://127.0.0.1:8080 GATEWAY_SERVER_KEY=gk_… PORT=5173 node examples/web/server.mjs
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const PAGE = new URL('./index.html', import.meta.url);
const SESSION_COOKIE = 'example_session';
/** A key is handed out again only while it has this long left; past that the session gets a new one. */
const REUSE_MARGIN_MS = 60_000;

/**
 * The one call that uses the server key: a browser key for `origin`, valid 15 minutes, spending at
 * most `credits`. Answers `{ key, expiresAt }`, or throws MintRefused with the gateway's error.
 */
export async function mintBrowserKey({ gatewayUrl, serverKey, origin, user, credits = 30 }) {
  const response = await fetch(`${gatewayUrl}/v2/ephemeral-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${serverKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ttlSeconds: 900, budget: { credits }, allowedOrigins: [origin], metadata: { user } }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new MintRefused(response.status, body);
  return { key: body.key, expiresAt: body.expiresAt };
}

export class MintRefused extends Error {
  constructor(status, body) {
    super(`the gateway refused to mint a browser key (${status})`);
    this.status = status;
    this.body = body;
  }
}

/**
 * Starts the example on `port` (0: any free one). `mint` defaults to mintBrowserKey with the server
 * key; `publicOrigin` is the origin browsers load the page from (default http://127.0.0.1:<port>).
 */
export async function startWebExample({ gatewayUrl, serverKey, port = 0, host = '127.0.0.1', publicOrigin, mint }) {
  const sessions = new Map();
  let origin = publicOrigin;
  const mintFor = mint ?? ((session) => mintBrowserKey({ gatewayUrl, serverKey, origin, user: session.user }));

  async function browserKey(session) {
    const current = session.browserKey;
    if (current && (!current.expiresAt || Date.parse(current.expiresAt) - Date.now() > REUSE_MARGIN_MS)) return current;
    session.browserKey = await mintFor(session);
    return session.browserKey;
  }

  async function handle(request, response) {
    const url = new URL(request.url, 'http://example');
    if (request.method === 'GET' && url.pathname === '/') {
      const signedIn = sessionOf(request, sessions);
      const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
      if (!signedIn) headers['set-cookie'] = signIn(sessions);
      return send(response, 200, await readFile(PAGE), headers);
    }
    if (request.method === 'POST' && url.pathname === '/api/browser-key') {
      const session = sessionOf(request, sessions);
      if (!session) return sendJson(response, 401, { error: 'Not signed in: load the page first' });
      const { key, expiresAt } = await browserKey(session);
      return sendJson(response, 200, { key, expiresAt, gatewayUrl });
    }
    return sendJson(response, 404, { error: 'Not found' });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (error instanceof MintRefused) return sendJson(response, error.status, error.body);
      sendJson(response, 502, { error: `The gateway could not be reached: ${error.message}` });
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  origin ??= url;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

/** The demo user's session, if the request's cookie names one. */
function sessionOf(request, sessions) {
  const cookie = (request.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return cookie ? sessions.get(cookie.slice(SESSION_COOKIE.length + 1)) : undefined;
}

/** Signs the visitor in as the demo user; answers the Set-Cookie header. */
function signIn(sessions) {
  const id = randomBytes(18).toString('base64url');
  sessions.set(id, { user: 'demo-user' });
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`;
}

function send(response, status, body, headers) {
  response.writeHead(status, headers);
  response.end(body);
}

function sendJson(response, status, body) {
  send(response, status, JSON.stringify(body), { 'content-type': 'application/json', 'cache-control': 'no-store' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { GATEWAY_URL, GATEWAY_SERVER_KEY, PORT = '5173', PUBLIC_ORIGIN } = process.env;
  if (!GATEWAY_URL || !GATEWAY_SERVER_KEY) {
    process.stderr.write('Set GATEWAY_URL and GATEWAY_SERVER_KEY (a team key with the keys:mint scope).\n');
    process.exit(1);
  }
  const example = await startWebExample({
    gatewayUrl: GATEWAY_URL,
    serverKey: GATEWAY_SERVER_KEY,
    port: Number(PORT),
    publicOrigin: PUBLIC_ORIGIN,
  });
  process.stdout.write(`web example on ${example.url}\n`);
  process.once('SIGINT', () => example.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => example.close().then(() => process.exit(0)));
}
