// Process entry point: load the configuration, build the app, listen, and shut down cleanly
// on SIGTERM/SIGINT (in-flight requests finish, the reconciler stops, connections close).
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';

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

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ port: config.PORT, host: config.HOST });
