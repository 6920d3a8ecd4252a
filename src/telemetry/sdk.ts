/**
 * OpenTelemetry SDK: use the providers the app registered (its own setup file, or the
 * auto-instrumentations register), otherwise start a NodeSDK that exports traces over OTLP as the
 * standard `OTEL_*` variables say, with no signal handlers of its own. The decision is taken late
 * (once the app's first server listens, or at shutdown) so that an SDK set up by a later preload
 * or by the app's own tracing file is found; never two.
 */
/** The API's global store; shared by every copy of @opentelemetry/api 1.x in the process. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const LOGS_GLOBAL = Symbol.for('io.opentelemetry.js.api.logs');

export type SdkSource = 'app' | 'graceful-otel' | 'disabled' | 'failed';

let decided: SdkSource | undefined;

interface Flushable {
  forceFlush?: () => Promise<unknown>;
  /** The tracer API registers its proxy; the SDK's provider is its delegate. */
  getDelegate?: () => unknown;
}

function registered(kind: 'trace' | 'metrics'): boolean {
  const store = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBAL];
  return store?.[kind] !== undefined;
}

/**
 * A real dynamic import: tsc turns `import()` into `require()` in the CommonJS build. The OTLP
 * exporter loads its transport with `await import('http')` on its first export; doing one early,
 * off the path to listening, keeps that cost (Node's ESM loader warming up) out of the shutdown.
 */
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Decides once which SDK serves the process; returns the decision. */
export function ensureSdk(onError: (error: unknown) => void): SdkSource {
  if (decided !== undefined) return decided;
  if (registered('trace')) {
    warmExporterTransport();
    return (decided = 'app');
  }
  if (/^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? '')) return (decided = 'disabled');
  try {
    const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
    // Traces only, unless the user asked for metrics or logs exporters by their variables.
    const sdk = new NodeSDK({
      instrumentations: [],
      ...(process.env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
      ...(process.env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    });
    sdk.start();
    warmExporterTransport();
    return (decided = 'graceful-otel');
  } catch (error) {
    onError(error);
    return (decided = 'failed');
  }
}

function warmExporterTransport(): void {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
  dynamicImport(endpoint.startsWith('https:') ? 'node:https' : 'node:http').catch(() => {});
}

/**
 * The real tracer, meter and logger providers (what the API's proxies delegate to), each with
 * forceFlush. Read from the API's global store, so any copy of the API the app used is covered.
 */
export function realProviders(): { name: string; provider: { forceFlush(): Promise<unknown> } }[] {
  const store = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBAL] ?? {};
  // The older @opentelemetry/api-logs keeps a versioned getter under a key of its own.
  const legacyLogs = (globalThis as Record<symbol, unknown>)[LOGS_GLOBAL];
  const candidates: [string, unknown][] = [
    ['tracer provider', (store.trace as Flushable | undefined)?.getDelegate?.() ?? store.trace],
    ['meter provider', store.metrics],
    ['logger provider', store.logs ?? (typeof legacyLogs === 'function' ? (legacyLogs as (v: number) => unknown)(1) : undefined)],
  ];
  return candidates.flatMap(([name, provider]) => {
    const p = provider as Flushable | undefined;
    return typeof p?.forceFlush === 'function' ? [{ name, provider: p as { forceFlush(): Promise<unknown> } }] : [];
  });
}
