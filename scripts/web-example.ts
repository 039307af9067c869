// The web example's backend (examples/web/server.mjs) for the demo, the screenshot and the tests,
// typed here: the example itself stays plain JavaScript so that it runs with bare Node.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../src/project-root.js';

/** What the example's backend hands a session's page: the browser key and until when it works. */
export interface BrowserKey {
  key: string;
  expiresAt: string | null;
}

/** Gets a session its browser key; the example's own mints an ephemeral key with the server key. */
export type Mint = (session: { user: string }) => Promise<BrowserKey>;

export interface WebExample {
  url: string;
  close(): Promise<void>;
}

interface WebExampleModule {
  startWebExample(options: {
    gatewayUrl: string;
    serverKey?: string;
    port?: number;
    host?: string;
    publicOrigin?: string;
    mint?: Mint;
  }): Promise<WebExample>;
  mintBrowserKey(options: {
    gatewayUrl: string;
    serverKey: string;
    origin: string;
    user: string;
    credits?: number;
  }): Promise<BrowserKey>;
}

const example = (await import(pathToFileURL(join(PROJECT_ROOT, 'examples/web/server.mjs')).href)) as WebExampleModule;

export const { startWebExample, mintBrowserKey } = example;
