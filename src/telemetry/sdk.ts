/**
 * Where the shutdown trace goes. Three cases, decided once the app's first server listens (so an
 * SDK set up by a later preload or by the app's own tracing file is found), or at shutdown:
 *
 * - `app`: the app registered a tracer provider (its NodeSDK, the auto-instrumentations
 *   register). The trace goes through it. When the `@opentelemetry/api` copy graceful-otel loads
 *   refuses that global (the API's compatibility check rejects a global registered by an older
 *   minor), its tracer would be a silent no-op: graceful-otel then takes the tracer straight from
 *   the registered provider and warns once, naming both versions.
 * - `graceful-otel`: no provider registered, but the app has the SDK packages installed. A private
 *   provider (tracer provider + batch processor + OTLP exporter, configured by the standard
 *   `OTEL_*` variables) serves graceful-otel's spans only: nothing is registered globally (no
 *   global provider, context manager or propagator), so the app's serving and its OpenTelemetry
 *   state are untouched. Its modules load in small steps, after the first seconds of traffic.
 * - `absent`: no provider and no SDK packages; one log line says which packages to install.
 *   `disabled`: `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as Api from '@opentelemetry/api';
import { TRACER_NAME } from './names.js';
import { requireFromApp, resolveFromApp } from './app-require.js';

/** The API's global store; shared by every copy of @opentelemetry/api 1.x in the process. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const LOGS_GLOBAL = Symbol.for('io.opentelemetry.js.api.logs');

/** The private provider's modules start loading this long after the first listen: past the first traffic. */
const PRIVATE_LOAD_DELAY_MS = 2500;

export type SdkSource = 'app' | 'graceful-otel' | 'disabled' | 'absent' | 'failed';

/** What the spans are made with. */
export interface Tracing {
  api: typeof Api;
  tracer: Api.Tracer;
}

/** What graceful-otel reports through its log; kept abstract so this file needs no logger. */
export interface SdkReporter {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

interface Flushable {
  forceFlush?: () => Promise<unknown>;
  /** The tracer API registers its proxy; the SDK's provider is its delegate. */
  getDelegate?: () => unknown;
  getTracer?: (name: string, version?: string) => Api.Tracer;
}

/** The packages of the private provider, in load order (dependencies first, so each step is small). */
const TRACE_SDK = ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base'] as const;
const EXPORTERS: Record<string, string> = {
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
};
const LOAD_STEPS = ['@opentelemetry/api', '@opentelemetry/semantic-conventions', '@opentelemetry/core', '@opentelemetry/resources'];

let decided: SdkSource | undefined;
let privateProvider: { plan: PrivatePlan; provider?: Flushable & { getTracer(name: string, version?: string): Api.Tracer } } | undefined;

interface PrivatePlan {
  sdk: (typeof TRACE_SDK)[number];
  exporter: string;
}

function store(): Record<string, unknown> {
  return (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBAL] ?? {};
}

/** The OTLP protocol for traces, as the exporters read it. */
function tracesProtocol(): string {
  return (process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
}

/**
 * A real dynamic import: tsc turns `import()` into `require()` in the CommonJS build. The OTLP
 * exporter loads its transport with `await import('http')` on its first export; doing one early,
 * off the path to listening, keeps that cost (Node's ESM loader warming up) out of the shutdown.
 */
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function warmExporterTransport(): void {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
  dynamicImport(endpoint.startsWith('https:') ? 'node:https' : 'node:http').catch(() => {});
}

/** Decides once where the trace goes; returns the decision. Cheap: loads nothing of the SDK. */
export function decideSdk(report: SdkReporter): SdkSource {
  if (decided !== undefined) return decided;
  if (store().trace !== undefined) {
    // Warming Node's ESM loader takes tens of milliseconds: after the startup, like the rest.
    setTimeout(warmExporterTransport, PRIVATE_LOAD_DELAY_MS).unref();
    return (decided = 'app');
  }
  if (/^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? '') || process.env.OTEL_TRACES_EXPORTER?.trim() === 'none') {
    return (decided = 'disabled');
  }
  const protocol = tracesProtocol();
  const exporter = EXPORTERS[protocol];
  const sdk = TRACE_SDK.find((name) => resolveFromApp(name) !== undefined);
  if (exporter === undefined) {
    report.warn(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not one of ${Object.keys(EXPORTERS).join(', ')}: the shutdown trace will not be exported`);
    return (decided = 'failed');
  }
  if (sdk === undefined || resolveFromApp(exporter) === undefined) {
    report.info(
      `no OpenTelemetry SDK in this app, so the shutdown trace is not exported: install @opentelemetry/sdk-trace and ${exporter} ` +
        '(graceful-otel then exports it on its own, without touching the global OpenTelemetry state), or set up an SDK; ' +
        'OTEL_SDK_DISABLED=true silences this line',
      { event: 'trace.unavailable' },
    );
    return (decided = 'absent');
  }
  privateProvider = { plan: { sdk, exporter } };
  scheduleStepwiseLoad(report);
  return (decided = 'graceful-otel');
}

/** Loads the private provider's modules one package per turn of the event loop, after a delay. */
function scheduleStepwiseLoad(report: SdkReporter): void {
  const plan = privateProvider?.plan;
  if (plan === undefined) return;
  const steps = [...LOAD_STEPS, plan.sdk, '@opentelemetry/otlp-exporter-base', '@opentelemetry/otlp-transformer', plan.exporter];
  const next = (): void => {
    const specifier = steps.shift();
    if (specifier === undefined || privateProvider?.provider !== undefined) {
      buildPrivateProvider(report);
      return;
    }
    try {
      requireFromApp(specifier);
    } catch {
      // an intermediate package not resolvable from the app: the final build loads it through its parent
    }
    setImmediate(next).unref();
  };
  setTimeout(next, PRIVATE_LOAD_DELAY_MS).unref();
}

/** Builds the private provider (synchronously loading what is not loaded yet); undefined on failure. */
function buildPrivateProvider(report: SdkReporter): Flushable | undefined {
  if (privateProvider === undefined) return undefined;
  if (privateProvider.provider !== undefined) return privateProvider.provider;
  const { sdk, exporter } = privateProvider.plan;
  try {
    const trace = requireFromApp<Record<string, new (...args: unknown[]) => unknown>>(sdk);
    const { OTLPTraceExporter } = requireFromApp<{ OTLPTraceExporter: new () => unknown }>(exporter);
    const spanExporter = new OTLPTraceExporter();
    const Provider = trace.TracerProvider ?? trace.BasicTracerProvider;
    const Batch = trace.BatchSpanProcessor;
    if (Provider === undefined || Batch === undefined) throw new Error(`${sdk} has no tracer provider or batch span processor`);
    // sdk-trace 3.x takes an options object; sdk-trace-base 2.x takes the exporter.
    const processor = sdk === '@opentelemetry/sdk-trace' ? new Batch({ exporter: spanExporter }) : new Batch(spanExporter);
    const resource = envResource();
    const provider = new Provider({ spanProcessors: [processor], ...(resource === undefined ? {} : { resource }) }) as NonNullable<typeof privateProvider.provider>;
    privateProvider.provider = provider;
    warmExporterTransport();
    return provider;
  } catch (error) {
    report.warn('could not set up the OpenTelemetry SDK for the shutdown trace; it will not be exported', { err: error });
    decided = 'failed';
    privateProvider = undefined;
    return undefined;
  }
}

/** The default resource with the `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` of the environment. */
function envResource(): unknown {
  try {
    type Resource = { merge(other: unknown): unknown };
    const r = requireFromApp<{
      defaultResource(): Resource;
      detectResources(config: { detectors: unknown[] }): Resource;
      envDetector: unknown;
      serviceNameEnvDetector?: unknown;
    }>('@opentelemetry/resources');
    const detectors = [r.envDetector, r.serviceNameEnvDetector].filter((d) => d !== undefined);
    return r.defaultResource().merge(r.detectResources({ detectors }));
  } catch {
    return undefined; // the provider's default resource
  }
}

/**
 * The API and tracer for the shutdown spans, or undefined when there is no trace to make. Called
 * at shutdown; for the private provider, loads what the stepwise load has not loaded yet.
 */
export function tracing(report: SdkReporter, version: string): Tracing | undefined {
  const source = decideSdk(report);
  if (source === 'graceful-otel') {
    const provider = buildPrivateProvider(report);
    if (provider?.getTracer === undefined) return undefined;
    return { api: requireFromApp<typeof Api>('@opentelemetry/api'), tracer: provider.getTracer(TRACER_NAME, version) };
  }
  if (source !== 'app') return undefined;
  const api = requireFromApp<typeof Api>('@opentelemetry/api');
  const registered = store().trace as Flushable | undefined;
  // The copy accepted the global iff it hands back the registered proxy itself.
  if (registered === undefined || api.trace.getTracerProvider() === registered) return { api, tracer: api.trace.getTracer(TRACER_NAME, version) };
  const delegate = (registered.getDelegate?.() ?? registered) as Flushable;
  const versions = { loaded: loadedApiVersion(), registered: String(store().version ?? 'unknown') };
  report.warn(
    `@opentelemetry/api ${versions.loaded} (loaded by graceful-otel) refuses the tracer provider registered by @opentelemetry/api ${versions.registered}; ` +
      'graceful-otel exports the shutdown trace through the registered provider directly. Install one copy of @opentelemetry/api (npm ls @opentelemetry/api)',
    { event: 'trace.api_mismatch', api_loaded: versions.loaded, api_registered: versions.registered },
  );
  if (typeof delegate.getTracer !== 'function') return undefined;
  return { api, tracer: delegate.getTracer(TRACER_NAME, version) };
}

/**
 * The providers to force-flush at shutdown: the app's real tracer, meter and logger providers
 * (read from the API's global store, so any copy of the API the app used is covered), and the
 * private one.
 */
export function realProviders(): { name: string; provider: { forceFlush(): Promise<unknown> } }[] {
  const global = store();
  // The older @opentelemetry/api-logs keeps a versioned getter under a key of its own.
  const legacyLogs = (globalThis as Record<symbol, unknown>)[LOGS_GLOBAL];
  const candidates: [string, unknown][] = [
    ['tracer provider', (global.trace as Flushable | undefined)?.getDelegate?.() ?? global.trace],
    ['meter provider', global.metrics],
    ['logger provider', global.logs ?? (typeof legacyLogs === 'function' ? (legacyLogs as (v: number) => unknown)(1) : undefined)],
    ["graceful-otel's tracer provider", privateProvider?.provider],
  ];
  return candidates.flatMap(([name, provider]) => {
    const p = provider as Flushable | undefined;
    return typeof p?.forceFlush === 'function' ? [{ name, provider: p as { forceFlush(): Promise<unknown> } }] : [];
  });
}

/** The version of the @opentelemetry/api copy graceful-otel loads (its package.json, next to its entry). */
function loadedApiVersion(): string {
  let dir = path.dirname(resolveFromApp('@opentelemetry/api') ?? '.');
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@opentelemetry/api') return pkg.version ?? 'unknown';
    } catch {
      // no package.json at this level
    }
  }
  return 'unknown';
}
