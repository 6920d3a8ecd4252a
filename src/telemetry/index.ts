/**
 * The telemetry of the shutdown, handed to the engine as one {@link Telemetry}: observers and
 * flush steps only, never control flow. `prepare('listen')`, after the app's first server listens,
 * only decides; the heavy parts (pino, prom-client, graceful-otel's own OTLP exporter) warm up later,
 * off the path of the first traffic, or at once with `prepare('shutdown')`.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { settleWithin } from '../deadline.js';
import { keepLinesUntilWarm, log, logEnabled, setLogContext, stopKeepingLines, warmLog } from '../log.js';
import type { FlushStep, ShutdownObserver, Telemetry } from '../observer.js';
import type { EngineView } from '../run-context.js';
import { VERSION } from '../version.js';
import { loadStepwise } from '../warm-up.js';
import { resolveFromApp } from './app-require.js';
import { logObserver, ownLogStep, summaryLineStep } from './logs.js';
import { otlpEndpoints, probeEndpoint } from './endpoint-probe.js';
import { appUsesPromClient, createMetrics, type ShutdownMetrics } from './metrics.js';
import { createPinoFlusher } from './pino/index.js';
import { decideSdk, flushTargets, tracing, warmUpOwnExporter, type SdkReporter } from './sdk.js';
import { createSpans, type ShutdownSpans } from './spans.js';

/** Warm-up of the heavy modules and of graceful-otel's own OTLP exporter, after the first listen. */
const WARM_UP_AFTER_LISTEN_MS = 2500;
/** The pino flush gives up this long before its step's deadline, to report its own result. */
const PINO_REPORT_MARGIN_MS = 15;

export function createTelemetry(engine: EngineView): Telemetry {
  const pino = createPinoFlusher();
  pino.watch();
  let spans: ShutdownSpans | undefined;
  let metrics: ShutdownMetrics | undefined;
  let observers: readonly ShutdownObserver[] = [logObserver];

  const pinoStep: FlushStep = {
    name: 'pino loggers',
    stage: 'app-logs',
    async flush(deadline) {
      // A moment before the step's deadline, so what timed out or failed is reported, not a bare timeout.
      const result = await pino.flush(Date.now() + (deadline - performance.now()) - PINO_REPORT_MARGIN_MS);
      const detail = `${result.flushed}/${result.streams} destinations flushed`;
      const causes = result.errors.length > 0 ? ` (${[...new Set(result.errors)].join('; ')})` : '';
      if (result.timedOut > 0 || result.failed > 0) throw new Error(`${detail}; ${result.timedOut} timed out, ${result.failed} failed${causes}`);
      return detail;
    },
  };
  const pushStep: FlushStep = {
    name: 'pushgateway',
    stage: 'push',
    enabled: () => engine.config?.pushgatewayUrl !== undefined,
    flush: (deadline) => {
      const url = engine.config?.pushgatewayUrl;
      if (metrics === undefined || url === undefined) throw new Error('metrics are not set up');
      return metrics.push(url, serviceName(), os.hostname(), deadline);
    },
  };

  let decided = false;
  let metricsFailed = false;
  /** Cheap: which SDK serves the process, and the span observer (it loads nothing until shutdown). */
  const decide = (): void => {
    if (decided) return;
    decided = true;
    const sdk = decideSdk(sdkReporter);
    if (logEnabled('debug')) log().debug({ sdk }, 'OpenTelemetry SDK decided');
    // With no SDK there is no trace to build: skip the span work at shutdown altogether.
    if (sdk === 'app' || sdk === 'graceful-otel') {
      spans = createSpans(() => tracing(sdkReporter, VERSION));
      setLogContext(spans.logContext);
    }
    updateObservers();
  };
  // Only where someone can read them: the app's own prom-client registry, /metrics, a Pushgateway.
  const metricsWanted = (): boolean =>
    engine.config?.healthPort !== undefined || engine.config?.pushgatewayUrl !== undefined || appUsesPromClient();
  const ensureMetrics = (): void => {
    if (metrics !== undefined || metricsFailed || !metricsWanted()) return;
    try {
      metrics = createMetrics(engine, () => spans?.root());
    } catch (error) {
      metricsFailed = true;
      log().warn({ err: error }, 'could not register the shutdown metrics');
    }
    updateObservers();
  };
  const warmMetrics = (): void => {
    const promClient = metrics === undefined && !metricsFailed && metricsWanted() ? resolveFromApp('prom-client') : undefined;
    if (promClient === undefined) ensureMetrics();
    else loadStepwise('prom-client', promClient, ensureMetrics);
  };
  // Spans first: the log line of each step carries the ids of the span it opened.
  const updateObservers = (): void => {
    observers = [spans?.observer, logObserver, metrics?.observer].filter((o): o is ShutdownObserver => o !== undefined);
  };

  return {
    observers: () => observers,
    flushSteps: [providersStep, pushStep, summaryLineStep, pinoStep, ownLogStep],
    prepare(when) {
      if (when === 'listen') keepLinesUntilWarm();
      decide();
      if (when === 'shutdown') {
        stopKeepingLines();
        ensureMetrics();
        return;
      }
      // The app's own prom-client is loaded already: its registry carries the metrics from now on.
      if (appUsesPromClient()) ensureMetrics();
      // pino and prom-client take tens of milliseconds to load: not while the first traffic
      // arrives, and a module per event-loop turn (warm-up.ts), so the shutdown finds them loaded.
      // The built-in exporter's empty request opens its connection then too.
      setTimeout(() => {
        warmUpOwnExporter();
        warmLog(warmMetrics);
      }, WARM_UP_AFTER_LISTEN_MS).unref();
    },
    metrics: (openMetrics) => {
      ensureMetrics();
      return metrics === undefined ? Promise.resolve(undefined) : metrics.expose(openMetrics);
    },
  };
}

const sdkReporter: SdkReporter = {
  debug: (message, fields) => log().debug(fields ?? {}, message),
  info: (message, fields) => log().info(fields ?? {}, message),
  warn: (message, fields) => log().warn(fields ?? {}, message),
};

/** The part of the providers' flush time kept to find out why an export did not finish. */
const MAX_PROBE_MS = 300;

/**
 * Force-flushes the real tracer, meter and logger providers, and exports graceful-otel's own spans, in parallel.
 * When they do not finish in time, the OTLP endpoints are probed so the failure says why (refused,
 * reset, no route, no answer).
 */
const providersStep: FlushStep = {
  name: 'opentelemetry providers',
  stage: 'providers',
  async flush(deadline) {
    const targets = flushTargets();
    if (targets.length === 0) return 'none registered';
    const names = targets.map((p) => p.name).join(', ');
    const probeMs = Math.min(MAX_PROBE_MS, (deadline - performance.now()) / 4);
    const flushing = Promise.all(targets.map((target) => target.flush(deadline)));
    flushing.catch(() => {}); // an export failing after the deadline is reported as the timeout below
    if (await settleWithin(flushing, deadline - probeMs - performance.now())) {
      await flushing; // settled: rethrows an export error
      return names;
    }
    const causes = await Promise.all(otlpEndpoints().map((endpoint) => probeEndpoint(endpoint, deadline - performance.now() - 20)));
    throw new Error(`${names}: export did not finish in time; ${causes.join('; ')}`);
  },
};

/** The Pushgateway job: the OpenTelemetry service name, else the main script's name. */
function serviceName(): string {
  const fromEnv = process.env.OTEL_SERVICE_NAME?.trim();
  if (fromEnv) return fromEnv;
  const main = process.argv[1];
  return main === undefined ? 'node' : path.basename(main, path.extname(main));
}
