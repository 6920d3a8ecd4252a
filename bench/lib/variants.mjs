// The processes compared. Each variant is an app file plus node flags and environment; every
// server is spawned pinned to CPU 0, everything else (wrk, socket holders, this harness) on CPU 1.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const app = (file) => fileURLToPath(new URL(`../apps/${file}`, import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PRELOAD = fileURLToPath(new URL('../.dist/esm/register.js', import.meta.url)); // see snapshot.mjs
const OTEL_REGISTER = require.resolve('@opentelemetry/auto-instrumentations-node/register');

const preload = ['--import', PRELOAD];
const noSdk = { OTEL_SDK_DISABLED: 'true' };

/** @typedef {{ id: string, label: string, file: string, flags?: string[], env?: object, settleMs?: number }} Variant */

/** @type {Record<string, Variant>} */
export const VARIANTS = {
  bare: { id: 'bare', label: 'bare `node:http`', file: app('bare.cjs') },
  floorExit: { id: 'floorExit', label: 'floor: `process.exit(0)` on SIGTERM', file: app('bare.cjs'), env: { BENCH_FLOOR: 'exit' } },
  floorDrain: { id: 'floorDrain', label: 'floor: minimal drain (`Connection: close`, `server.close()`, exit)', file: app('bare.cjs'), env: { BENCH_FLOOR: 'drain' } },
  // graceful-otel warms up its logger and metrics, and its OTLP exporter's connection, 2.5 s after
  // the first listen: a server in production has long since; measured once it has (settle ≥ 3 s).
  go: { id: 'go', label: 'graceful-otel preload, no SDK', file: app('bare.cjs'), flags: preload, env: noSdk, settleMs: 3500 },
  // The bench's other variants log at warn (quiet); this one writes graceful-otel's info lines, the default.
  goInfo: { id: 'goInfo', label: 'graceful-otel preload, no SDK, log level info (the default)', file: app('bare.cjs'), flags: preload, env: { ...noSdk, GRACEFUL_OTEL_LOG_LEVEL: 'info' }, settleMs: 3500 },
  goSdk: { id: 'goSdk', label: 'graceful-otel preload, trace on (built-in exporter)', file: app('bare.cjs'), flags: preload, settleMs: 3500 },
  terminus: { id: 'terminus', label: '@godaddy/terminus', file: app('terminus.cjs') },
  httpTerminator: { id: 'httpTerminator', label: 'http-terminator', file: app('http-terminator.cjs') },
  closeWithGrace: { id: 'closeWithGrace', label: 'close-with-grace', file: app('close-with-grace.cjs') },
  lightship: { id: 'lightship', label: 'lightship (ESM; its CJS build fails)', file: app('lightship.mjs') },
  prom: { id: 'prom', label: 'prom-client histogram per request', file: app('prom-histogram.cjs') },
  otelRegister: { id: 'otelRegister', label: 'OTel auto-instrumentations register', file: app('bare.cjs'), flags: ['--require', OTEL_REGISTER] },
  sdkApp: { id: 'sdkApp', label: 'app with its own NodeSDK', file: app('sdk-app.cjs') },
  sdkAppGo: { id: 'sdkAppGo', label: 'app with its own NodeSDK + graceful-otel preload', file: app('sdk-app.cjs'), flags: preload },
};

export const PEERS = ['terminus', 'httpTerminator', 'closeWithGrace', 'lightship'];

/** Node flags for a variant's preload only (for `node <flags> -e 0`). */
export const preloadFlags = (id) => VARIANTS[id].flags ?? [];

/**
 * The environment every child gets: quiet logs (unless the variant sets a level), telemetry to the
 * local receiver, not "on Kubernetes".
 */
export function childEnv(variant, receiverUrl) {
  const env = { ...process.env, GRACEFUL_OTEL_LOG_LEVEL: 'warn', ...variant.env };
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.NODE_OPTIONS;
  return {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  };
}
