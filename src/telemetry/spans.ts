/**
 * The shutdown trace: a root span `graceful.shutdown` from the signal to the start of the flush,
 * a child span per phase (`graceful.shutdown.delay`, `.drain`, `.hooks`) and one per cleanup hook
 * (`graceful.shutdown.hook`). Spans are made with a {@link ShutdownTracer}: the app's SDK through
 * the OpenTelemetry API, or graceful-otel's own recorder.
 */
import type { ShutdownObserver, SummaryView } from '../observer.js';
import type { Phase } from '../types.js';
import { ATTR, SPAN, SPAN_EVENT } from './names.js';
import { STATUS_ERROR, type Attributes, type ShutdownSpan, type ShutdownTracer } from './tracer.js';

/** At most this many per-request cancellation events on the drain span; the total is an attribute. */
const MAX_CANCELLATION_EVENTS = 100;

export interface ShutdownSpans {
  observer: ShutdownObserver;
  /** trace_id / span_id of the span running now, for log lines. */
  logContext(): Record<string, string>;
  /** Ids of the root span, once the shutdown started. */
  root(): { traceId: string; spanId: string } | undefined;
}

/** `resolve` gives the tracer when the shutdown starts; when it gives none, no span is made. */
export function createSpans(resolve: () => ShutdownTracer | undefined): ShutdownSpans {
  let tracer: ShutdownTracer | undefined;
  let root: ShutdownSpan | undefined;
  const phases = new Map<Phase, ShutdownSpan>();
  const hookSpans = new Map<string, ShutdownSpan>();
  let current: ShutdownSpan | undefined;

  const child = (name: string, attributes: Attributes = {}): ShutdownSpan | undefined =>
    root === undefined ? undefined : tracer?.startSpan(name, attributes, { parent: root });

  const observer: ShutdownObserver = {
    shutdownStarted(s: SummaryView) {
      tracer = resolve();
      if (tracer === undefined) return;
      root = tracer.startSpan(
        SPAN.root,
        {
          [ATTR.trigger]: s.trigger,
          [ATTR.connections]: s.connectionsAtStart,
          [ATTR.inflightRequests]: s.inflightAtStart,
          [ATTR.work]: s.workAtStart,
          [ATTR.servers]: s.servers.map((x) => x.name),
        },
        { startTime: s.startedAtMs },
      );
      current = root;
      if (s.crash !== undefined) {
        root.recordException({ name: s.crash.type, message: s.crash.message, ...(s.crash.stack === undefined ? {} : { stack: s.crash.stack }) });
        root.setStatus({ code: STATUS_ERROR, message: `${s.trigger}: ${s.crash.message}` });
      }
    },
    phaseStarted(phase) {
      if (phase === 'flush' || root === undefined) return;
      const span = child(`${SPAN.phasePrefix}${phase}`, { [ATTR.phase]: phase });
      if (span === undefined) return;
      phases.set(phase, span);
      current = span;
    },
    drainStarted(s) {
      root?.addEvent(SPAN_EVENT.drainStarted, { [ATTR.connections]: s.connectionsAtStart, [ATTR.inflightRequests]: s.inflightAtStart });
    },
    deadlineReached(cancelled, s) {
      root?.addEvent(SPAN_EVENT.deadlineReached, {
        [ATTR.forcedRequest]: s.forced.request,
        [ATTR.forcedConnection]: s.forced.connection,
        [ATTR.forcedWork]: s.forced.work,
      });
      const drain = phases.get('drain');
      for (const request of cancelled.slice(0, MAX_CANCELLATION_EVENTS)) {
        drain?.addEvent(SPAN_EVENT.requestCancelled, {
          [ATTR.httpMethod]: request.method,
          [ATTR.urlPath]: request.path,
          [ATTR.requestAgeMs]: Math.round(request.ageMs),
          [ATTR.server]: request.server,
        });
      }
      drain?.setAttribute(ATTR.cancelledRequests, cancelled.length);
    },
    hookStarted(name) {
      const span = child(SPAN.hook, { [ATTR.hookName]: name });
      if (span === undefined) return;
      hookSpans.set(name, span);
      current = span;
    },
    hookEnded(result) {
      const span = hookSpans.get(result.name);
      if (span === undefined) return;
      span.setAttribute(ATTR.hookOutcome, result.outcome);
      if (result.outcome !== 'ok') span.setStatus({ code: STATUS_ERROR, message: result.error ?? result.outcome });
      span.end();
      hookSpans.delete(result.name);
      current = phases.get('hooks') ?? root;
    },
    phaseEnded(phase, s) {
      const span = phases.get(phase);
      if (span === undefined) return;
      if (phase === 'drain') {
        if (s.drainOutcome !== undefined) span.setAttribute(ATTR.drainOutcome, s.drainOutcome);
        if (s.drainOutcome !== 'clean') span.setStatus({ code: STATUS_ERROR, message: `drain ${s.drainOutcome}` });
      }
      span.end();
      phases.delete(phase);
      current = root;
    },
    exitDecided(s) {
      if (root === undefined) return;
      const failures = s.hooks.filter((h) => h.outcome !== 'ok').length;
      // Attributes of values not known are left out (no sentinels).
      root.setAttributes({
        ...(s.exitCode !== undefined ? { [ATTR.exitCode]: s.exitCode } : {}),
        [ATTR.forcedRequest]: s.forced.request,
        [ATTR.forcedConnection]: s.forced.connection,
        [ATTR.forcedHook]: s.forced.hook,
        [ATTR.forcedWork]: s.forced.work,
        [ATTR.hookFailures]: failures,
        ...(s.drainOutcome !== undefined ? { [ATTR.drainOutcome]: s.drainOutcome } : {}),
        ...(s.drainMs !== undefined ? { [ATTR.drainDurationMs]: Math.round(s.drainMs) } : {}),
        ...(s.cutShort !== undefined ? { [ATTR.cutShort]: s.cutShort } : {}),
      });
      if (s.exitCode !== 0) root.setStatus({ code: STATUS_ERROR, message: `exit code ${s.exitCode}` });
      // Ends before the flush (and before adopted listeners such as sdk.shutdown()) so it is exported.
      root.end();
    },
  };

  return {
    observer,
    root: () => root?.ids(),
    logContext(): Record<string, string> {
      const span = current?.ids();
      return span === undefined ? {} : { trace_id: span.traceId, span_id: span.spanId };
    },
  };
}
