/**
 * The zero-code preload: `node --import graceful-otel/register app.js` (or `-r`). It only wires:
 * nothing runs in worker threads (pino transports live there), and an invalid configuration stops
 * the process before the app can serve.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from './config.js';
import { start } from './index.js';

/** Exit code for a configuration error (EX_CONFIG). */
const EXIT_CONFIG = 78;

if (isMainThread) {
  try {
    void start();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeSync(2, `${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
