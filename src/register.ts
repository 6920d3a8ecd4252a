/**
 * The zero-code preload: `node --import graceful-otel/register app.js` (or `-r`, or in
 * `NODE_OPTIONS`). It only wires: nothing is loaded or run in worker threads (pino transports live
 * there; a `-r` preload runs in every worker), and nothing is installed until the process serves
 * (activation.ts). An invalid configuration then stops the process before its server binds.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  // Fastify instances are created before the app listens, so before activation: collect them now.
  (require('./frameworks.js') as typeof import('./frameworks.js')).collectFrameworks();
  // Required here rather than imported at the top, so a worker loads nothing of the package.
  const { activateWhenServing } = require('./activation.js') as typeof import('./activation.js');
  activateWhenServing((server) => (require('./discovery.js') as typeof import('./discovery.js')).isHttpServer(server), {
    server: () => activate('server'),
    clusterPrimary: () => activate('cluster-primary'),
  });
}

function activate(role: 'server' | 'cluster-primary'): void {
  const { getEngine, EXIT_CONFIG } = require('./engine.js') as typeof import('./engine.js');
  const { ConfigError } = require('./config.js') as typeof import('./config.js');
  const { createTelemetry } = require('./telemetry/index.js') as typeof import('./telemetry/index.js');
  // The app starts serving now: graceful-otel's info lines wait for the warm-up (log.ts).
  if (role === 'server') (require('./log.js') as typeof import('./log.js')).keepLinesUntilWarm();
  try {
    void getEngine(createTelemetry).start({}, role);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeSync(2, `${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
