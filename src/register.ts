/**
 * The zero-code preload: `node --import graceful-otel/register app.js` (or `-r`). It only wires:
 * nothing is loaded or run in worker threads (pino transports live there; a `-r` preload runs in
 * every worker), and an invalid configuration stops the process before the app can serve.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  // Required here rather than imported at the top, so a worker loads nothing of the package.
  const { start, ConfigError } = require('./index.js') as typeof import('./index.js');
  const { EXIT_CONFIG } = require('./engine.js') as typeof import('./engine.js');
  try {
    void start();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeSync(2, `${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
