/**
 * Phase 4: wait until no request is in flight, no socket is open and no tracked work runs, or
 * until the drain deadline. At the deadline, what is left is destroyed and counted by kind, and
 * the deadline signal aborts so the app can cancel its work.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { drainTimeoutFor } from '../config.js';
import { settleWithin } from '../deadline.js';
import type { RunContext } from '../run-context.js';
import { stopIntakeTimers } from './stop-intake.js';

/** @param hooksRegistered whether a cleanup hook is registered: only then is time held back for hooks. */
export async function drain(ctx: RunContext, hooksRegistered: boolean): Promise<void> {
  const { tracker, work, summary } = ctx;
  const started = performance.now();
  const idle = new Promise<void>((resolve) => {
    const check = (): void => {
      if (tracker.isIdle() && work.active === 0) resolve();
    };
    tracker.onCountDown = check;
    work.onCountDown = check;
    check();
  });
  const deadline = ctx.startedAt + ctx.config.drainDelayMs + drainTimeoutFor(ctx.config, hooksRegistered);
  const drained = await settleWithin(idle, Math.min(deadline, ctx.hardDeadline) - performance.now(), ctx.skipWaits);
  stopIntakeTimers(ctx);
  summary.drainMs = performance.now() - started;
  if (drained) {
    summary.drainOutcome = 'clean';
    return;
  }
  summary.drainOutcome = ctx.skipWaits.aborted ? 'skipped' : 'forced';
  ctx.engine.deadlineController.abort(new Error('drain deadline reached'));
  const cancelled = tracker.inflightRequests();
  summary.forced.request += tracker.inflight;
  summary.forced.connection += tracker.connections;
  summary.forced.work += work.active;
  ctx.report('deadlineReached', cancelled, summary);
  forceClose(ctx);
}

function forceClose(ctx: RunContext): void {
  for (const tracked of ctx.tracker.servers) {
    (tracked.server as http.Server).closeAllConnections?.();
    for (const session of tracked.sessions) session.destroy();
    // For plain http both sets are one; for https the TLS sockets sit on top of the raw ones.
    if (tracked.httpSockets !== tracked.sockets) for (const socket of tracked.httpSockets) socket.destroy();
    for (const socket of tracked.sockets) socket.destroy();
  }
}
