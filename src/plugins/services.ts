// The gateway's services on the app as `app.services`: their background work starts when the
// app is ready (unless the app is told not to run it) and they close with the app.
import fp from 'fastify-plugin';
import type { Services } from '../services/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface ServicesOptions {
  services: Services;
  /** Run the reconciler and webhook deliveries while the app is open. */
  runBackgroundWork: boolean;
}

export const servicesPlugin = fp<ServicesOptions>(
  async (app, { services, runBackgroundWork }) => {
    app.decorate('services', services);
    if (runBackgroundWork) app.addHook('onReady', async () => services.start());
    app.addHook('onClose', async () => services.close());
  },
  { name: 'services', fastify: '5.x' },
);
