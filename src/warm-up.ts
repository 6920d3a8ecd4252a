/**
 * Loading a package costs a few milliseconds per module, and pino and prom-client bring a dozen
 * each: loaded in one go, that is a 20–30 ms stall of the app's event loop while it serves. Here
 * the package's dependencies load one per turn of the event loop, each into the module cache, so
 * the package itself then finds them there and no single turn takes long.
 */
import { createRequire } from 'node:module';

/**
 * What each package's main module loads (not what only its workers load), dependencies first; a
 * relative path is one of the package's own modules.
 */
export const EAGER_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  pino: [
    'atomic-sleep',
    'on-exit-leak-free',
    'quick-format-unescaped',
    'real-require',
    'safe-stable-stringify',
    '@pinojs/redact',
    'fast-redact',
    'pino-std-serializers',
    'process-warning',
    'sonic-boom',
    'thread-stream',
    // its own modules, in dependency order (a missing one is skipped)
    './lib/symbols',
    './lib/constants',
    './lib/caller',
    './lib/transport',
    './lib/tools',
    './lib/levels',
    './lib/redaction',
    './lib/time',
    './lib/meta',
    './lib/proto',
    './lib/multistream',
  ],
  'prom-client': [
    'bintrees',
    'tdigest',
    './lib/util',
    './lib/validation',
    './lib/registry',
    './lib/exemplar',
    './lib/metric',
    './lib/counter',
    './lib/gauge',
    './lib/histogram',
    './lib/timeWindowQuantiles',
    './lib/summary',
    'https',
    'zlib',
    './lib/pushgateway',
    './lib/bucketGenerators',
    'v8',
    '@opentelemetry/api',
    './lib/metrics/helpers/safeMemoryUsage',
    './lib/metrics/helpers/processMetricsHelpers',
    './lib/metrics/processCpuTotal',
    './lib/metrics/processStartTime',
    './lib/metrics/osMemoryHeapLinux',
    './lib/metrics/osMemoryHeap',
    './lib/metrics/processOpenFileDescriptors',
    './lib/metrics/processMaxFileDescriptors',
    './lib/metrics/eventLoopLag',
    './lib/metrics/processHandles',
    './lib/metrics/processRequests',
    './lib/metrics/processResources',
    './lib/metrics/heapSizeAndUsed',
    './lib/metrics/heapSpacesSizeAndUsed',
    './lib/metrics/version',
    './lib/metrics/gc',
    './lib/defaultMetrics',
    './lib/metricAggregators',
    './lib/cluster',
  ],
};

/**
 * Loads the dependencies of the package whose main module is `mainFile` one per event-loop turn,
 * then calls `done` (which loads the package). A dependency that is missing or fails is skipped:
 * loading the package reports what matters.
 */
export function loadStepwise(packageName: string, mainFile: string, done: () => void): void {
  const load = createRequire(mainFile);
  const pending = [...(EAGER_DEPENDENCIES[packageName] ?? [])];
  const next = (): void => {
    const dependency = pending.shift();
    if (dependency === undefined) {
      done();
      return;
    }
    try {
      load(dependency);
    } catch {
      // not a dependency of this version
    }
    // Ref'd on purpose: an unref'd immediate in an idle server waits for the next I/O event.
    setImmediate(next);
  };
  next();
}
