/**
 * Wires the telemetry of the shutdown onto the engine: observers and flushers only, never control
 * flow. The heavy parts (prom-client, the OpenTelemetry SDK) load once the app's first server
 * listens, off the path to listening, or when first needed.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../engine.js';
import { log, setLogContext } from '../log.js';
import type { Flusher } from '../observer.js';
import { VERSION } from '../version.js';
import { logObserver, ownLogFlusher } from './logs.js';
import { createMetrics, type ShutdownMetrics } from './metrics.js';
import { createPinoFlusher } from './pino-flush.js';
import { decideSdk, realProviders, tracing, type SdkReporter } from './sdk.js';
import { createSpans } from './spans.js';

export function installTelemetry(engine: Engine): void {
  const pino = createPinoFlusher();
  pino.watch();
  let metrics: ShutdownMetrics | undefined;
  let isSetUp = false;

  const setup = (): void => {
    if (isSetUp) return;
    isSetUp = true;
    const sdk = decideSdk(sdkReporter);
    log().debug({ sdk }, 'OpenTelemetry SDK decided');
    // With no SDK there is no trace to build: skip the span work at shutdown altogether.
    const spans = sdk === 'app' || sdk === 'graceful-otel' ? createSpans(() => tracing(sdkReporter, VERSION)) : undefined;
    if (spans !== undefined) {
      // Spans first: the log lines of each step carry the ids of the span it opened.
      engine.observers.unshift(spans.observer);
      setLogContext(spans.logContext);
    }
    try {
      metrics = createMetrics(engine, () => spans?.root());
      engine.observers.push(metrics.observer);
    } catch (error) {
      log().warn({ err: error }, 'could not register the shutdown metrics');
    }
  };

  engine.observers.push(logObserver);
  engine.preparers.push(setup);
  engine.tracker.onServer = () => setImmediate(setup);
  engine.metrics = (openMetrics) => {
    setup();
    return metrics === undefined ? Promise.resolve(undefined) : metrics.expose(openMetrics);
  };
  engine.flushers.push(providersFlusher(), ownLogFlusher, {
    name: 'pino loggers',
    stage: 60,
    async flush(deadline) {
      const result = await pino.flush(Date.now() + (deadline - performance.now()));
      const detail = `${result.flushed}/${result.streams} destinations flushed`;
      if (result.timedOut > 0 || result.failed > 0) throw new Error(`${detail}; ${result.timedOut} timed out, ${result.failed} failed`);
      return detail;
    },
  });
  engine.flushers.push({
    name: 'pushgateway',
    stage: 20,
    enabled: () => engine.config?.pushgatewayUrl !== undefined,
    flush: (deadline) => {
      const url = engine.config?.pushgatewayUrl;
      if (metrics === undefined || url === undefined) throw new Error('metrics are not set up');
      return metrics.push(url, serviceName(), os.hostname(), deadline);
    },
  });
}

const sdkReporter: SdkReporter = {
  info: (message, fields) => log().info(fields ?? {}, message),
  warn: (message, fields) => log().warn(fields ?? {}, message),
};

/** Force-flushes the real tracer, meter and logger providers, in parallel. */
function providersFlusher(): Flusher {
  return {
    name: 'opentelemetry providers',
    stage: 10,
    async flush() {
      const providers = realProviders();
      await Promise.all(providers.map(({ provider }) => provider.forceFlush()));
      return providers.map((p) => p.name).join(', ') || 'none registered';
    },
  };
}

/** The Pushgateway job: the OpenTelemetry service name, else the main script's name. */
function serviceName(): string {
  const fromEnv = process.env.OTEL_SERVICE_NAME?.trim();
  if (fromEnv) return fromEnv;
  const main = process.argv[1];
  return main === undefined ? 'node' : path.basename(main, path.extname(main));
}
