/** One structured log line per step of the shutdown; the summary line is written by the sequence. */
import { flushLog, log } from '../log.js';
import type { Flusher, ShutdownObserver } from '../observer.js';

const round = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms));

export const logObserver: ShutdownObserver = {
  shutdownStarted(s) {
    log().info(
      { event: 'shutdown.started', trigger: s.trigger, connections: s.connectionsAtStart, inflight: s.inflightAtStart, work: s.workAtStart, servers: s.servers.map((x) => x.name) },
      `shutdown started by ${s.trigger}: readiness now fails`,
    );
  },
  phaseStarted(phase) {
    log().info({ event: 'phase.started', phase }, `phase ${phase} started`);
  },
  drainStarted(s) {
    log().info({ event: 'drain.started', connections: s.connectionsAtStart, inflight: s.inflightAtStart }, 'intake stopped; draining');
  },
  deadlineReached(cancelled, s) {
    log().warn(
      { event: 'drain.deadline', forced: s.forced, cancelled: cancelled.slice(0, 20), cancelled_total: cancelled.length },
      'drain deadline reached: destroying what is left',
    );
  },
  phaseEnded(phase, s) {
    if (phase === 'flush') return; // the summary line, written during the flush, is the last word
    const extra = phase === 'drain' ? { outcome: s.drainOutcome } : {};
    log().info({ event: 'phase.ended', phase, duration_ms: round(s.phaseMs[phase]), ...extra }, `phase ${phase} ended`);
  },
  hookEnded(result) {
    const level = result.outcome === 'ok' ? 'info' : 'warn';
    log()[level]({ event: 'hook.ended', hook: result.name, outcome: result.outcome, duration_ms: round(result.durationMs), error: result.error, stack: result.stack }, `hook ${result.name}: ${result.outcome}`);
  },
  flushEnded(result) {
    if (result.outcome === 'ok') return;
    log().warn({ event: 'flush.failed', step: result.name, outcome: result.outcome, duration_ms: round(result.durationMs), detail: result.detail }, `flush step ${result.name}: ${result.outcome}`);
  },
};

/** graceful-otel's own log lines go last, after the summary. */
export const ownLogFlusher: Flusher = {
  name: 'graceful-otel log',
  stage: 90,
  flush: (deadline) => flushLog(deadline - performance.now()),
};
