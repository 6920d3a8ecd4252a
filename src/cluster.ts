/**
 * A node:cluster primary under the preload. The primary is usually the container's PID 1 and
 * serves through its workers, which run the preload too and drain like single processes. On the
 * signal the primary fails readiness (its health server is the one place probes ask), passes the
 * signal on to every worker, waits for them all inside the budget, and exits 0 only when every
 * worker exited 0. A worker forked during the shutdown (an app that re-forks on exit) gets the
 * signal at once.
 */
import type { Worker } from 'node:cluster';
import dc from 'node:diagnostics_channel';
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { settleWithin } from './deadline.js';
import { log } from './log.js';

/**
 * Listening handles the primary holds for its workers. With round-robin scheduling (the default
 * but on Windows) the primary accepts each connection and queues it for a free worker; when the
 * last worker closes its server, Node's cluster module closes the queued connections: requests
 * already written, reset. So the primary stops accepting first, at the moment the workers stop
 * intake, and the workers keep their servers open a moment longer for the queue to drain to them
 * ({@link CLUSTER_HANDOFF_MS}).
 */
const primaryHandles: WeakRef<{ close(): void }>[] = [];

/** How much longer a worker keeps its server open after the primary stopped accepting. */
export const CLUSTER_HANDOFF_MS = 150;

/** In the primary: remembers the listening handle of every plain `net` server it opens for its workers. */
export function watchPrimaryListeners(): void {
  dc.subscribe('tracing:net.server.listen:asyncEnd', (message) => {
    const server = (message as { server?: Server & { _handle?: { close(): void } | null } }).server;
    // The round-robin handle's server is a plain net.Server; its handle is taken over right after.
    if (server?.constructor?.name !== 'Server' || server._handle == null) return;
    primaryHandles.push(new WeakRef(server._handle));
  });
}

/** Stops accepting on the primary's listening handles (closing one twice is a no-op in Node). */
export function closePrimaryListeners(): number {
  let closed = 0;
  for (const ref of primaryHandles.splice(0)) {
    const handle = ref.deref();
    if (handle === undefined) continue;
    handle.close();
    closed++;
  }
  return closed;
}

/** How one worker ended. */
export interface WorkerExit {
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  /** Still running at the deadline: killed. */
  killed: boolean;
}

/**
 * Sends `signal` to every worker (and to any forked while they stop), then runs `meanwhile` (the
 * app's own signal listeners, the primary's stop of intake), and waits until every worker has exited or `deadline`
 * (`performance.now()` timestamp) passes; stragglers are killed with SIGKILL then.
 */
export async function stopWorkers(
  signal: NodeJS.Signals,
  deadline: number,
  skipWaits: AbortSignal,
  meanwhile: () => Promise<void>,
): Promise<WorkerExit[]> {
  const cluster = require('node:cluster') as typeof import('node:cluster').default;
  const exits: WorkerExit[] = [];
  const pending = new Set<Worker>();
  let allExited: () => void = () => {};
  const done = new Promise<void>((resolve) => (allExited = resolve));

  const follow = (worker: Worker): void => {
    if (pending.has(worker)) return;
    pending.add(worker);
    worker.process.once('exit', (code, exitSignal) => {
      pending.delete(worker);
      const exit: WorkerExit = { pid: worker.process.pid, code, signal: exitSignal, killed: false };
      exits.push(exit);
      log().info({ event: 'cluster.worker.exited', pid: exit.pid, code, signal: exitSignal }, `worker ${exit.pid} exited with ${code ?? exitSignal}`);
      if (pending.size === 0) allExited();
    });
    // What worker.kill() would set: an app that re-forks dead workers unless this is true
    // (the pattern Node's docs show) does not replace the ones being stopped.
    worker.exitedAfterDisconnect = true;
    worker.process.kill(signal);
  };
  const onFork = (worker: Worker): void => follow(worker);
  cluster.on('fork', onFork);
  for (const worker of Object.values(cluster.workers ?? {})) if (worker !== undefined && !worker.isDead()) follow(worker);
  if (pending.size === 0) allExited();
  await meanwhile();

  await settleWithin(done, deadline - performance.now(), skipWaits);
  cluster.off('fork', onFork);
  for (const worker of pending) {
    exits.push({ pid: worker.process.pid, code: null, signal: 'SIGKILL', killed: true });
    worker.process.kill('SIGKILL');
  }
  return exits;
}

/** 0 only when every worker exited 0 by itself. */
export function workersExitCode(exits: readonly WorkerExit[], failureExitCode: number): number {
  return exits.every((e) => e.code === 0 && !e.killed) ? 0 : failureExitCode;
}
