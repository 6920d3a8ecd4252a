/**
 * prom-client metrics of the shutdown. The names are a contract with the dashboards and alert
 * rules (README, "Metrics"). Live values (readiness, connections, in-flight requests, phase) are
 * read from the engine's plain counters in collect callbacks, so serving costs nothing extra.
 *
 * Where they live: in the app's own default registry when the app uses prom-client (loaded from
 * the app's location, since a second copy of prom-client has a registry of its own), and in
 * graceful-otel's registries served on the health port. The drain histogram carries the shutdown
 * trace id as an exemplar in the OpenMetrics registry.
 */
import type * as PromClient from 'prom-client';
import type { EngineView } from '../run-context.js';
import type { ShutdownObserver } from '../observer.js';
import type { ForcedKind, Phase } from '../types.js';
import { requireFromApp, resolveFromApp } from './app-require.js';
import { EXEMPLAR, FORCED_KIND_VALUES, LABEL, METRIC, PHASE_VALUES } from './names.js';

type Client = typeof PromClient;

// The label values come from the names module; the types check they are the package's own.
const PHASES: readonly Phase[] = PHASE_VALUES;
const FORCED_KINDS: readonly ForcedKind[] = FORCED_KIND_VALUES;
const DRAIN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120];
const HOOK_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The prom-client the app itself would load, else graceful-otel's own. */
export function loadPromClient(): Client {
  return requireFromApp<Client>('prom-client');
}

/** Whether the app has loaded prom-client itself (its default registry then carries the metrics). */
export function appUsesPromClient(): boolean {
  const file = resolveFromApp('prom-client');
  return file !== undefined && require.cache[file] !== undefined;
}

export interface ShutdownMetrics {
  observer: ShutdownObserver;
  /** Exposition for the health port's `/metrics`. */
  expose(openMetrics: boolean): Promise<{ contentType: string; body: string }>;
  /** Pushes the final values to a Pushgateway, grouped by job and instance. */
  push(url: string, job: string, instance: string, deadline: number): Promise<string>;
}

type Exemplar = () => { traceId: string; spanId: string } | undefined;

/**
 * Registers the metrics. `exemplar` gives the shutdown trace's ids for the drain histogram.
 */
export function createMetrics(engine: EngineView, exemplar: Exemplar, client: Client = loadPromClient()): ShutdownMetrics {
  // prom-client's typings tie a registry to its content type; one untyped constructor serves both.
  const Registry = client.Registry as unknown as new (contentType?: string) => PromClient.Registry;
  const OPENMETRICS: string = client.Registry.OPENMETRICS_CONTENT_TYPE;
  const prometheus = new Registry();
  const openMetrics = new Registry(OPENMETRICS);
  const appRegistry = client.register as PromClient.Registry;
  const appIsOpenMetrics = (appRegistry.contentType as string) === OPENMETRICS;
  const plainRegisters = appIsOpenMetrics ? [prometheus] : [prometheus, appRegistry];
  const omRegisters = appIsOpenMetrics ? [openMetrics, appRegistry] : [openMetrics];
  const all = [...new Set([prometheus, openMetrics, appRegistry])];
  const tracker = engine.tracker;

  const gauge = (name: string, help: string, labelNames: string[] = [], collect?: (this: PromClient.Gauge) => void) =>
    new client.Gauge({ name, help, labelNames, registers: all, ...(collect ? { collect } : {}) });

  gauge(METRIC.ready, 'Whether the instance is ready for traffic: 1 while serving, 0 from the start of shutdown.', [], function () {
    this.set(engine.readyNow() ? 1 : 0);
  });
  gauge(METRIC.activeConnections, 'Open sockets of each watched HTTP server.', [LABEL.server], function () {
    for (const s of tracker.servers) this.set({ server: s.name }, s.connections);
  });
  gauge(METRIC.inflightRequests, 'Requests started and not yet finished, per watched HTTP server.', [LABEL.server], function () {
    for (const s of tracker.servers) this.set({ server: s.name }, s.inflight);
  });
  const started = gauge(METRIC.shutdownStarted, 'Unix time the shutdown began, by what started it.', [LABEL.signal]);
  gauge(METRIC.phase, 'The current phase of the shutdown sequence: 1 for the current phase, 0 for the others.', [LABEL.phase], function () {
    for (const phase of PHASES) this.set({ phase }, engine.phase === phase ? 1 : 0);
  });
  const exitCode = gauge(METRIC.exitCode, 'The exit code the process is about to exit with.');
  gauge(METRIC.gracePeriod, 'The configured signal-to-exit budget.', [], function () {
    this.set((engine.config?.gracePeriodMs ?? 0) / 1000);
  });

  const drainHelp = 'Time from the start of the drain to drained (outcome clean) or to the deadline (outcome forced).';
  const drain = new client.Histogram({ name: METRIC.drainDuration, help: drainHelp, labelNames: [LABEL.outcome], buckets: DRAIN_BUCKETS, registers: plainRegisters });
  const drainWithExemplar = new client.Histogram({ name: METRIC.drainDuration, help: drainHelp, labelNames: [LABEL.outcome], buckets: DRAIN_BUCKETS, registers: omRegisters, enableExemplars: true });
  const forced = new client.Counter({ name: METRIC.forcedCancellations, help: 'Work cut at a deadline, by kind.', labelNames: [LABEL.kind], registers: all });
  for (const kind of FORCED_KINDS) forced.inc({ kind }, 0);
  const hooks = new client.Histogram({ name: METRIC.hookDuration, help: 'Duration of each cleanup hook, by outcome.', labelNames: [LABEL.hook, LABEL.outcome], buckets: HOOK_BUCKETS, registers: all });

  return {
    observer: {
      shutdownStarted(summary) {
        started.set({ signal: summary.trigger }, summary.startedAtMs / 1000);
      },
      phaseEnded(phase, summary) {
        if (phase !== 'drain' || summary.drainMs === undefined) return;
        const outcome = summary.drainOutcome === 'clean' ? 'clean' : 'forced';
        const seconds = summary.drainMs / 1000;
        drain.observe({ outcome }, seconds);
        const ids = exemplar();
        const exemplarLabels: Record<string, string> = ids === undefined ? {} : { [EXEMPLAR.traceId]: ids.traceId, [EXEMPLAR.spanId]: ids.spanId };
        drainWithExemplar.observe({ labels: { outcome }, value: seconds, exemplarLabels: exemplarLabels as never });
      },
      deadlineReached(_cancelled, summary) {
        for (const kind of ['request', 'connection', 'work'] as const) {
          if (summary.forced[kind] > 0) forced.inc({ kind }, summary.forced[kind]);
        }
      },
      hookEnded(result) {
        hooks.observe({ hook: result.name, outcome: result.outcome }, result.durationMs / 1000);
        if (result.outcome === 'timeout') forced.inc({ kind: 'hook' });
      },
      exitDecided(summary) {
        if (summary.exitCode !== undefined) exitCode.set(summary.exitCode);
      },
    },
    async expose(asOpenMetrics) {
      const registry = asOpenMetrics ? openMetrics : prometheus;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    async push(url, job, instance, deadline) {
      const timeout = Math.max(1, Math.floor(deadline - performance.now()));
      const gateway = new client.Pushgateway(url, { timeout }, prometheus);
      await gateway.pushAdd({ jobName: job, groupings: { instance } });
      return `pushed to ${url} as job=${job} instance=${instance}`;
    },
  };
}
