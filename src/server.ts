// Process entry point: load the configuration, build the app, listen (and serve metrics on
// their own port when asked), and shut down cleanly on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startMetricsServer } from './plugins/metrics.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`apiframe-gateway: configuration error: ${error.message}\n`);
    process.exit(78);
  }
}

const config = configOrExit();
const app = await buildApp(config);
const metricsServer = config.METRICS_PORT
  ? await startMetricsServer(app.services.metrics, config.METRICS_PORT, config.HOST)
  : null;

// In-flight requests finish (their credits settle or are released), new ones are refused,
// and past the deadline the process exits anyway: any reservation still open carries a lease
// that another instance's reconciler releases.
closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await Promise.all([app.close(), metricsServer?.close()]);
});

await app.listen({ port: config.PORT, host: config.HOST, backlog: config.LISTEN_BACKLOG });
