// The web example with a team key restricted by allowedOrigins, handed to the page as it stands.
import { ADMIN_TOKEN } from '../helpers/gateway.js';
import { describeWebExample } from './web-example-cases.js';

describeWebExample({
  async issue({ gw }, { origin, credits }) {
    const expiresAt = new Date(Date.now() + 15 * 60_000).toISOString();
    const key = await gw.createKey({ allowedOrigins: [origin], budget: { credits, period: 'day' }, expiresAt });
    return {
      mint: async () => ({ key: key.key, expiresAt }),
      async revoke() {
        const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const response = await gw.inject({ method: 'DELETE', url: `/admin/keys/${key.id}`, headers });
        if (response.statusCode !== 200) throw new Error(response.body);
      },
    };
  },
});
