/**
 * Where the shutdown trace goes. Decided once the app's first server listens (so an SDK set up by
 * a later preload or by the app's own tracing file is found), or at shutdown:
 *
 * - `app`: the app registered a tracer provider (its NodeSDK, the auto-instrumentations
 *   register). The trace goes through it. When the `@opentelemetry/api` copy graceful-otel loads
 *   refuses that global (the API's compatibility check rejects a global registered by an older
 *   minor), its tracer would be a silent no-op: graceful-otel then takes the tracer straight from
 *   the registered provider and warns once, naming both versions.
 * - `graceful-otel`: no provider registered, and an OTLP endpoint is configured
 *   (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or the app has an OTLP
 *   trace exporter package installed. graceful-otel records its own spans and exports them itself
 *   (otlp/): no OpenTelemetry package is loaded and nothing is registered globally, so the app's
 *   OpenTelemetry state is untouched.
 * - `absent`: neither; one log line says how to get the trace.
 *   `disabled`: `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 *   `failed`: the OTLP endpoint is not a usable URL (reported).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as Api from '@opentelemetry/api';
import { apiTracer } from './api-tracer.js';
import { requireFromApp, resolveFromApp } from './app-require.js';
import { TRACE_LOG_EVENT, TRACER_NAME } from './names.js';
import { endpointConfigured, otlpConfig, type OtlpConfig } from './otlp/config.js';
import type { OwnExporter } from './otlp/exporter.js';
import type { SpanRecorder } from './otlp/tracer.js';
import type { ShutdownTracer } from './tracer.js';

/** The API's global store; shared by every copy of @opentelemetry/api 1.x in the process. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const LOGS_GLOBAL = Symbol.for('io.opentelemetry.js.api.logs');

/** The app's exporter transport warms up this long after the first listen: past the first traffic. */
const APP_WARM_UP_DELAY_MS = 2500;

export type SdkSource = 'app' | 'graceful-otel' | 'disabled' | 'absent' | 'failed';

/** What graceful-otel reports through its log; kept abstract so this file needs no logger. */
export interface SdkReporter {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

interface Flushable {
  forceFlush?: () => Promise<unknown>;
  /** The tracer API registers its proxy; the SDK's provider is its delegate. */
  getDelegate?: () => unknown;
  getTracer?: (name: string, version?: string) => Api.Tracer;
}

/** The app's OTLP trace exporter packages: having one installed asks for the trace, as before. */
const EXPORTER_PACKAGES = ['@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-trace-otlp-grpc'];

let decided: SdkSource | undefined;
/** graceful-otel's own export, when it exports the trace itself. */
let own: { config: OtlpConfig; recorder?: SpanRecorder; exporter?: OwnExporter; reporter: SdkReporter } | undefined;

function store(): Record<string, unknown> {
  return (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBAL] ?? {};
}

/**
 * A real dynamic import: tsc turns `import()` into `require()` in the CommonJS build. The app's
 * OTLP exporter loads its transport with `await import('http')` on its first export; doing one
 * early, off the path to listening, keeps that cost (Node's ESM loader warming up) out of the shutdown.
 */
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function warmAppExporterTransport(): void {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
  dynamicImport(endpoint.startsWith('https:') ? 'node:https' : 'node:http').catch(() => {});
}

/** Decides once where the trace goes; returns the decision. Cheap: loads no OpenTelemetry package. */
export function decideSdk(report: SdkReporter): SdkSource {
  if (decided !== undefined) return decided;
  if (store().trace !== undefined) {
    // Warming Node's ESM loader takes tens of milliseconds: after the startup, like the rest.
    setTimeout(warmAppExporterTransport, APP_WARM_UP_DELAY_MS).unref();
    return (decided = 'app');
  }
  if (/^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? '') || process.env.OTEL_TRACES_EXPORTER?.trim() === 'none') {
    return (decided = 'disabled');
  }
  if (!endpointConfigured() && !EXPORTER_PACKAGES.some((name) => resolveFromApp(name) !== undefined)) {
    report.info(
      'no OpenTelemetry SDK and no OTLP endpoint, so the shutdown trace is not exported: set OTEL_EXPORTER_OTLP_ENDPOINT ' +
        '(graceful-otel then exports it on its own, without touching the global OpenTelemetry state), or set up an SDK; ' +
        'OTEL_SDK_DISABLED=true silences this line',
      { event: TRACE_LOG_EVENT.unavailable },
    );
    return (decided = 'absent');
  }
  const config = otlpConfig(report.warn);
  if (config === undefined) return (decided = 'failed');
  own = { config, reporter: report };
  return (decided = 'graceful-otel');
}

/** graceful-otel's exporter (its modules load on first use: the warm-up or the flush). */
function ownExporter(): OwnExporter | undefined {
  if (own === undefined) return undefined;
  if (own.exporter === undefined) {
    const { createOwnExporter } = require('./otlp/exporter.js') as typeof import('./otlp/exporter.js');
    own.exporter = createOwnExporter(own.config, ownRecorder(), { warn: own.reporter.warn, debug: own.reporter.debug });
  }
  return own.exporter;
}

function ownRecorder(): SpanRecorder {
  if (own === undefined) throw new Error('graceful-otel does not export the trace itself');
  if (own.recorder === undefined) {
    const { createRecorder } = require('./otlp/tracer.js') as typeof import('./otlp/tracer.js');
    own.recorder = createRecorder();
  }
  return own.recorder;
}

/**
 * After the first listen, off the path of the first traffic: one empty export request to the OTLP
 * endpoint, so the shutdown's export finds its code compiled and its connection open.
 */
export function warmUpOwnExporter(): void {
  if (own === undefined) return;
  // Its modules load on a turn of their own; the warm-up goes on a step per turn.
  setImmediate(() => void ownExporter()?.warmUp());
}

/** The tracer for the shutdown spans, or undefined when there is no trace to make. Called at shutdown. */
export function tracing(report: SdkReporter, version: string): ShutdownTracer | undefined {
  const source = decideSdk(report);
  if (source === 'graceful-otel') return ownRecorder();
  if (source !== 'app') return undefined;
  const api = requireFromApp<typeof Api>('@opentelemetry/api');
  const registered = store().trace as Flushable | undefined;
  // The copy accepted the global iff it hands back the registered proxy itself.
  if (registered === undefined || api.trace.getTracerProvider() === registered) return apiTracer(api, api.trace.getTracer(TRACER_NAME, version));
  const delegate = (registered.getDelegate?.() ?? registered) as Flushable;
  const versions = { loaded: loadedApiVersion(), registered: String(store().version ?? 'unknown') };
  report.warn(
    `@opentelemetry/api ${versions.loaded} (loaded by graceful-otel) refuses the tracer provider registered by @opentelemetry/api ${versions.registered}; ` +
      'graceful-otel exports the shutdown trace through the registered provider directly. Install one copy of @opentelemetry/api (npm ls @opentelemetry/api)',
    { event: TRACE_LOG_EVENT.apiMismatch, api_loaded: versions.loaded, api_registered: versions.registered },
  );
  if (typeof delegate.getTracer !== 'function') return undefined;
  return apiTracer(api, delegate.getTracer(TRACER_NAME, version));
}

/** Something the providers' flush step flushes; `deadline` in performance.now() ms. */
export interface FlushTarget {
  name: string;
  flush(deadline: number): Promise<unknown>;
}

/**
 * What to flush at shutdown: the app's real tracer, meter and logger providers (read from the
 * API's global store, so any copy of the API the app used is covered), and graceful-otel's own
 * exporter, which sends its spans in one request bounded by the deadline.
 */
export function flushTargets(): FlushTarget[] {
  const global = store();
  // The older @opentelemetry/api-logs keeps a versioned getter under a key of its own.
  const legacyLogs = (globalThis as Record<symbol, unknown>)[LOGS_GLOBAL];
  const candidates: [string, unknown][] = [
    ['tracer provider', (global.trace as Flushable | undefined)?.getDelegate?.() ?? global.trace],
    ['meter provider', global.metrics],
    ['logger provider', global.logs ?? (typeof legacyLogs === 'function' ? (legacyLogs as (v: number) => unknown)(1) : undefined)],
  ];
  const providers = candidates.flatMap(([name, provider]): FlushTarget[] => {
    const p = provider as Flushable | undefined;
    return typeof p?.forceFlush === 'function' ? [{ name, flush: () => (p.forceFlush as () => Promise<unknown>).call(p) }] : [];
  });
  const exporter = own?.recorder === undefined ? undefined : ownExporter();
  return exporter === undefined ? providers : [...providers, { name: "graceful-otel's exporter", flush: (deadline) => exporter.flush(deadline) }];
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
