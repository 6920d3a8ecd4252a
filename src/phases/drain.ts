/**
 * Phase 4: wait until no request is in flight, no socket is open and no tracked work runs, or
 * until the drain deadline. At the deadline, what is left is destroyed and counted by kind, and
 * the deadline signal aborts so the app can cancel its work.
 */
import type http from 'node:http';
import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { drainTimeoutFor } from '../config.js';
import { settleWithin } from '../deadline.js';
import type { RunContext } from '../run-context.js';
import { stopIntakeTimers } from './stop-intake.js';

/**
 * Destroyed sockets emit `close` a moment later, and the server spans of their requests end then:
 * the flush waits for them, this long at most.
 */
const MAX_CLOSE_WAIT_MS = 250;

/** @param hooksRegistered whether a cleanup hook is registered: only then is time held back for hooks. */
export async function drain(ctx: RunContext, hooksRegistered: boolean): Promise<void> {
  const { tracker, work, summary } = ctx;
  const started = performance.now();
  const closedHere = watchCloses(ctx);
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
  } else {
    summary.drainOutcome = ctx.skipWaits.aborted ? 'skipped' : 'forced';
    ctx.engine.deadlineController.abort(new Error('drain deadline reached'));
    const cancelled = tracker.inflightRequests();
    summary.forced.request += tracker.inflight;
    summary.forced.connection += tracker.connections;
    summary.forced.work += work.active;
    ctx.report('deadlineReached', cancelled, summary);
    await settleWithin(forceClose(ctx), Math.min(MAX_CLOSE_WAIT_MS, ctx.hardDeadline - performance.now()));
  }
  closedHere.done();
}

/** Destroys what is left; resolves once the destroyed sockets have closed and their `close` handlers ran. */
function forceClose(ctx: RunContext): Promise<void> {
  const closing: Promise<void>[] = [];
  const destroy = (socket: Socket): void => {
    if (!socket.closed) closing.push(new Promise((resolve) => socket.once('close', () => resolve())));
    socket.destroy();
  };
  for (const tracked of ctx.tracker.servers) {
    for (const socket of tracked.sockets) destroy(socket);
    (tracked.server as http.Server).closeAllConnections?.();
    for (const session of tracked.sessions) session.destroy();
    // For plain http both sets are one; for https the TLS sockets sit on top of the raw ones.
    if (tracked.httpSockets !== tracked.sockets) for (const socket of tracked.httpSockets) destroy(socket);
  }
  // One more turn: the requests' and responses' own `close` handlers (where spans end) run after the socket's.
  return Promise.all(closing).then(() => new Promise((resolve) => setImmediate(resolve)));
}

/**
 * Servers that stop intake closed emit `close` during the drain. Without the preload, an app's own
 * signal handler calling `server.close(cb)` on them would have closed them and got `cb()` with no
 * error; run after the drain, it would get ERR_SERVER_NOT_RUNNING instead (and a naive handler that
 * throws it crashes the exit). So on those servers a later `close(cb)` calls back without error.
 */
function watchCloses(ctx: RunContext): { done(): void } {
  const closed = new Set<Server>();
  const watchers = [...ctx.tracker.servers].map(({ server }) => {
    const onClose = (): void => void closed.add(server);
    server.once('close', onClose);
    return () => server.off('close', onClose);
  });
  return {
    done() {
      for (const off of watchers) off();
      for (const server of closed) answerLateCloses(server);
    },
  };
}

function answerLateCloses(server: Server): void {
  const close = server.close;
  server.close = function (this: Server, callback?: (err?: Error) => void) {
    if (this.listening) return close.call(this, callback);
    if (typeof callback === 'function') process.nextTick(callback);
    return this;
  } as Server['close'];
}
