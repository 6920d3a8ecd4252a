/**
 * graceful-otel's own log lines: one structured line per step of the shutdown, the summary line
 * (a flush step of its own, so it can report the flush steps before it), and the flush of the
 * lines themselves, last of all.
 */
import { flushLog, log, logEnabled } from '../log.js';
import type { FlushStep, ShutdownObserver, SummaryView } from '../observer.js';
import { roundMs } from '../summary.js';

/** The step lines are at info: below that level, not even their fields are built. */
export const logObserver: ShutdownObserver = {
  shutdownStarted(s) {
    if (!logEnabled('info')) return;
    log().info(
      { event: 'shutdown.started', trigger: s.trigger, connections: s.connectionsAtStart, inflight: s.inflightAtStart, work: s.workAtStart, servers: s.servers.map((x) => x.name) },
      `shutdown started by ${s.trigger}: readiness now fails`,
    );
  },
  phaseStarted(phase) {
    if (!logEnabled('info')) return;
    log().info({ event: 'phase.started', phase }, `phase ${phase} started`);
  },
  drainStarted(s) {
    if (!logEnabled('info')) return;
    log().info({ event: 'drain.started', connections: s.connectionsAtStart, inflight: s.inflightAtStart }, 'intake stopped; draining');
  },
  deadlineReached(cancelled, s) {
    log().warn(
      { event: 'drain.deadline', forced: s.forced, cancelled: cancelled.slice(0, 20), cancelled_total: cancelled.length },
      'drain deadline reached: destroying what is left',
    );
  },
  phaseEnded(phase, s) {
    if (phase === 'flush' || !logEnabled('info')) return; // the summary line, written during the flush, is the last word
    const extra = phase === 'drain' ? { outcome: s.drainOutcome } : {};
    log().info({ event: 'phase.ended', phase, duration_ms: roundMs(s.phaseMs[phase]), ...extra }, `phase ${phase} ended`);
  },
  hookEnded(result) {
    const level = result.outcome === 'ok' ? 'info' : 'warn';
    log()[level]({ event: 'hook.ended', hook: result.name, outcome: result.outcome, duration_ms: roundMs(result.durationMs), error: result.error, stack: result.stack }, `hook ${result.name}: ${result.outcome}`);
  },
  flushEnded(result) {
    if (result.outcome === 'ok') return;
    log().warn({ event: 'flush.failed', step: result.name, outcome: result.outcome, duration_ms: roundMs(result.durationMs), detail: result.detail }, `flush step ${result.name}: ${result.outcome}`);
  },
};

/** The summary line: everything the sequence learnt, in one line. */
export const summaryLineStep: FlushStep = {
  name: 'summary line',
  stage: 'summary',
  flush(_deadline, s) {
    // A non-zero exit is worth a look: the finish line says so by its level.
    const level = s.exitCode === 0 ? 'info' : 'warn';
    if (logEnabled(level)) log()[level](summaryFields(s), 'graceful shutdown finished');
  },
};

/** graceful-otel's own log lines go last, after the summary. */
export const ownLogStep: FlushStep = {
  name: 'graceful-otel log',
  stage: 'own-log',
  flush: (deadline) => flushLog(deadline - performance.now()),
};

function summaryFields(s: SummaryView): Record<string, unknown> {
  return {
    event: 'shutdown.summary',
    trigger: s.trigger,
    exit_code: s.exitCode,
    duration_ms: Date.now() - s.startedAtMs,
    phases_ms: Object.fromEntries(Object.entries(s.phaseMs).map(([k, v]) => [k, roundMs(v)])),
    connections_at_start: s.connectionsAtStart,
    inflight_at_start: s.inflightAtStart,
    work_at_start: s.workAtStart,
    drain: { outcome: s.drainOutcome, duration_ms: roundMs(s.drainMs) },
    forced: s.forced,
    hooks: s.hooks.map((h) => ({ name: h.name, outcome: h.outcome, duration_ms: roundMs(h.durationMs), error: h.error })),
    flushed: s.flush.map((f) => ({ name: f.name, outcome: f.outcome, duration_ms: roundMs(f.durationMs), detail: f.detail })),
    cut_short: s.cutShort,
  };
}
