// The web example as it is meant to run: its backend mints an ephemeral key per session
// (POST /v2/ephemeral-keys) with a server key holding keys:mint, bound to the page's origin.
import { mintBrowserKey } from '../../scripts/web-example.js';
import { ADMIN_TOKEN } from '../helpers/gateway.js';
import { describeWebExample } from './web-example-cases.js';

describeWebExample({
  async issue({ gw, url }, { origin, credits }) {
    const server = await gw.createKey({ name: 'web example backend', scopes: ['keys:mint'] });
    return {
      mint: (session) =>
        mintBrowserKey({ gatewayUrl: url, serverKey: server.key, origin, user: session.user, credits }),
      async revoke() {
        const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const response = await gw.inject({ method: 'DELETE', url: `/admin/keys/${server.id}`, headers });
        if (response.statusCode !== 200) throw new Error(response.body);
      },
    };
  },
});
