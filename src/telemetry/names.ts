/**
 * The telemetry contract: every metric, label, span, span event and attribute name graceful-otel
 * emits, in one place. `src/telemetry`, the Grafana pack (`pack/`) and the tests import these, so a
 * rename shows up everywhere at once. Kept free of imports and of non-erasable syntax: the pack
 * loads this file directly with Node's type stripping.
 */

/** Prometheus metric names (prom-client). */
export const METRIC = {
  ready: 'graceful_ready',
  activeConnections: 'graceful_http_active_connections',
  inflightRequests: 'graceful_http_inflight_requests',
  shutdownStarted: 'graceful_shutdown_started_timestamp_seconds',
  phase: 'graceful_shutdown_phase',
  drainDuration: 'graceful_shutdown_drain_duration_seconds',
  forcedCancellations: 'graceful_shutdown_forced_cancellations_total',
  hookDuration: 'graceful_shutdown_hook_duration_seconds',
  exitCode: 'graceful_shutdown_exit_code',
  gracePeriod: 'graceful_shutdown_grace_period_seconds',
} as const;

/** Label names of those metrics. */
export const LABEL = {
  server: 'server',
  signal: 'signal',
  phase: 'phase',
  outcome: 'outcome',
  kind: 'kind',
  hook: 'hook',
} as const;

/** Values of the `phase` label, in sequence order. */
export const PHASE_VALUES = ['serving', 'delay', 'drain', 'hooks', 'flush'] as const;

/** Values of the drain histogram's `outcome` label. */
export const DRAIN_OUTCOME = { clean: 'clean', forced: 'forced' } as const;

/** Values of the `kind` label of the forced-cancellations counter. */
export const FORCED_KIND_VALUES = ['request', 'connection', 'hook', 'work'] as const;

/** Span names of the shutdown trace. */
export const SPAN = {
  root: 'graceful.shutdown',
  /** A phase span is `graceful.shutdown.<phase>`. */
  phasePrefix: 'graceful.shutdown.',
  hook: 'graceful.shutdown.hook',
} as const;

/** Span event names (namespaced, no spaces, per OpenTelemetry's naming rules). */
export const SPAN_EVENT = {
  drainStarted: 'graceful.drain.started',
  deadlineReached: 'graceful.drain.deadline_reached',
  requestCancelled: 'graceful.request.cancelled',
} as const;

/** Span and span-event attribute keys. */
export const ATTR = {
  trigger: 'graceful.shutdown.trigger',
  connections: 'graceful.shutdown.connections',
  inflightRequests: 'graceful.shutdown.inflight_requests',
  work: 'graceful.shutdown.work',
  servers: 'graceful.shutdown.servers',
  phase: 'graceful.shutdown.phase',
  forcedRequest: 'graceful.shutdown.forced.request',
  forcedConnection: 'graceful.shutdown.forced.connection',
  forcedHook: 'graceful.shutdown.forced.hook',
  forcedWork: 'graceful.shutdown.forced.work',
  hookFailures: 'graceful.shutdown.hook_failures',
  drainOutcome: 'graceful.shutdown.drain.outcome',
  drainDurationMs: 'graceful.shutdown.drain.duration_ms',
  cutShort: 'graceful.shutdown.cut_short',
  cancelledRequests: 'graceful.shutdown.cancelled_requests',
  hookName: 'graceful.hook.name',
  hookOutcome: 'graceful.hook.outcome',
  requestAgeMs: 'graceful.request.age_ms',
  server: 'graceful.server',
  /** OpenTelemetry semantic conventions. */
  exitCode: 'process.exit.code',
  httpMethod: 'http.request.method',
  urlPath: 'url.path',
} as const;

/** The `exception` span event of OpenTelemetry's semantic conventions (recordException). */
export const EXCEPTION = {
  event: 'exception',
  type: 'exception.type',
  message: 'exception.message',
  stacktrace: 'exception.stacktrace',
} as const;

/** Resource attribute keys of the shutdown trace graceful-otel exports on its own (semantic conventions). */
export const RESOURCE_ATTR = {
  serviceName: 'service.name',
  processPid: 'process.pid',
  hostName: 'host.name',
} as const;

/** The service name when none is configured, as the OpenTelemetry SDK names it. */
export const UNKNOWN_SERVICE = 'unknown_service:node';

/** Log events about where the shutdown trace goes. */
export const TRACE_LOG_EVENT = {
  unavailable: 'trace.unavailable',
  apiMismatch: 'trace.api_mismatch',
  endpointUnreachable: 'trace.endpoint_unreachable',
  exporterConfig: 'trace.exporter_config',
} as const;

/** Exemplar label keys (OpenTelemetry–Prometheus compatibility spec). */
export const EXEMPLAR = { traceId: 'trace_id', spanId: 'span_id' } as const;

/** Instrumentation scope name of the shutdown tracer. */
export const TRACER_NAME = 'graceful-otel';
