/**
 * The shutdown trace: a root span `graceful.shutdown` from the signal to the start of the flush,
 * a child span per phase (`graceful.shutdown.delay`, `.drain`, `.hooks`) and one per cleanup hook
 * (`graceful.shutdown.hook`). Spans go through the OpenTelemetry API, so they reach whichever SDK
 * serves the process.
 */
import type * as Api from '@opentelemetry/api';
import type { ShutdownObserver, ShutdownSummary } from '../observer.js';
import type { Phase } from '../types.js';

/** At most this many per-request cancellation events on the drain span; the total is an attribute. */
const MAX_CANCELLATION_EVENTS = 100;

export interface ShutdownSpans {
  observer: ShutdownObserver;
  /** trace_id / span_id of the span running now, for log lines. */
  logContext(): Record<string, string>;
  /** Ids of the root span, once the shutdown started. */
  root(): { traceId: string; spanId: string } | undefined;
}

export function createSpans(api: typeof Api, version: string): ShutdownSpans {
  const tracer = api.trace.getTracer('graceful-otel', version);
  let root: Api.Span | undefined;
  let rootContext: Api.Context | undefined;
  const phases = new Map<Phase, Api.Span>();
  const hookSpans = new Map<string, Api.Span>();
  let current: Api.Span | undefined;

  const child = (name: string, attributes: Api.Attributes = {}): Api.Span =>
    tracer.startSpan(name, { attributes }, rootContext);

  // A span of a disabled or absent SDK has all-zero ids: report none rather than zeros.
  const ids = (span: Api.Span | undefined): { traceId: string; spanId: string } | undefined => {
    if (span === undefined || !api.trace.isSpanContextValid(span.spanContext())) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  };

  const observer: ShutdownObserver = {
    shutdownStarted(s: ShutdownSummary) {
      root = tracer.startSpan('graceful.shutdown', {
        root: true,
        startTime: s.startedAtMs,
        attributes: {
          'graceful.shutdown.trigger': s.trigger,
          'graceful.shutdown.connections': s.connectionsAtStart,
          'graceful.shutdown.inflight_requests': s.inflightAtStart,
          'graceful.shutdown.work': s.workAtStart,
          'graceful.shutdown.servers': s.servers.map((x) => x.name),
        },
      });
      rootContext = api.trace.setSpan(api.context.active(), root);
      current = root;
      if (s.crash !== undefined) {
        root.recordException({ name: s.crash.type, message: s.crash.message, stack: s.crash.stack });
        root.setStatus({ code: api.SpanStatusCode.ERROR, message: `${s.trigger}: ${s.crash.message}` });
      }
    },
    phaseStarted(phase) {
      if (phase === 'flush' || root === undefined) return;
      const span = child(`graceful.shutdown.${phase}`, { 'graceful.shutdown.phase': phase });
      phases.set(phase, span);
      current = span;
    },
    drainStarted(s) {
      root?.addEvent('drain started', { connections: s.connectionsAtStart, inflight_requests: s.inflightAtStart });
    },
    deadlineReached(cancelled, s) {
      root?.addEvent('deadline reached', {
        'forced.request': s.forced.request,
        'forced.connection': s.forced.connection,
        'forced.work': s.forced.work,
      });
      const drain = phases.get('drain');
      for (const request of cancelled.slice(0, MAX_CANCELLATION_EVENTS)) {
        drain?.addEvent('request cancelled', {
          'http.request.method': request.method,
          'url.path': request.path,
          'graceful.request.age_ms': Math.round(request.ageMs),
          'graceful.server': request.server,
        });
      }
      drain?.setAttribute('graceful.shutdown.cancelled_requests', cancelled.length);
    },
    hookStarted(name) {
      const span = child('graceful.shutdown.hook', { 'graceful.hook.name': name });
      hookSpans.set(name, span);
      current = span;
    },
    hookEnded(result) {
      const span = hookSpans.get(result.name);
      if (span === undefined) return;
      span.setAttribute('graceful.hook.outcome', result.outcome);
      if (result.outcome !== 'ok') span.setStatus({ code: api.SpanStatusCode.ERROR, message: result.error ?? result.outcome });
      span.end();
      hookSpans.delete(result.name);
      current = phases.get('hooks') ?? root;
    },
    phaseEnded(phase, s) {
      const span = phases.get(phase);
      if (span === undefined) return;
      if (phase === 'drain') {
        span.setAttribute('graceful.drain.outcome', s.drainOutcome ?? 'unknown');
        if (s.drainOutcome !== 'clean') span.setStatus({ code: api.SpanStatusCode.ERROR, message: `drain ${s.drainOutcome}` });
      }
      span.end();
      phases.delete(phase);
      current = root;
    },
    exitDecided(s) {
      if (root === undefined) return;
      const failures = s.hooks.filter((h) => h.outcome !== 'ok').length;
      root.setAttributes({
        'process.exit.code': s.exitCode ?? -1,
        'graceful.shutdown.forced.request': s.forced.request,
        'graceful.shutdown.forced.connection': s.forced.connection,
        'graceful.shutdown.forced.hook': s.forced.hook,
        'graceful.shutdown.forced.work': s.forced.work,
        'graceful.shutdown.hook_failures': failures,
        'graceful.shutdown.drain.outcome': s.drainOutcome ?? 'unknown',
        ...(s.drainMs !== undefined ? { 'graceful.shutdown.drain.duration_ms': Math.round(s.drainMs) } : {}),
        ...(s.cutShort !== undefined ? { 'graceful.shutdown.cut_short': s.cutShort } : {}),
      });
      if (s.exitCode !== 0) root.setStatus({ code: api.SpanStatusCode.ERROR, message: `exit code ${s.exitCode}` });
      // Ends before the flush (and before adopted listeners such as sdk.shutdown()) so it is exported.
      root.end();
    },
  };

  return {
    observer,
    root: () => ids(root),
    logContext(): Record<string, string> {
      const span = ids(current);
      return span === undefined ? {} : { trace_id: span.traceId, span_id: span.spanId };
    },
  };
}
