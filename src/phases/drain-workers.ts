/**
 * Phase 4 of a cluster primary: pass the signal on to every worker and wait for them all. The
 * workers run the sequence themselves (delay, drain, hooks, flush) within the same budget, so the
 * primary waits up to its own hard deadline, less a moment for its last log lines.
 */
import { performance } from 'node:perf_hooks';
import { closePrimaryListeners, stopWorkers } from '../cluster.js';
import { sleep } from '../deadline.js';
import type { RunContext } from '../run-context.js';
import type { AdoptedListener } from '../signals.js';
import { runRecorded } from './hooks.js';

/** Kept after the wait for the primary's summary line and log flush. */
const FINAL_LINES_MS = 100;

/**
 * The app's own listeners of the signal run right after the workers got it, as they would without
 * the preload (a primary often sets a "stopping" flag there); a `process.exit()` they call waits
 * for the workers.
 */
export async function drainWorkers(ctx: RunContext, appListeners: readonly AdoptedListener[]): Promise<void> {
  const signal: NodeJS.Signals = ctx.summary.trigger === 'SIGINT' ? 'SIGINT' : 'SIGTERM';
  const started = performance.now();
  const deadline = ctx.hardDeadline - FINAL_LINES_MS;
  const meanwhile = async (): Promise<void> => {
    for (const listener of appListeners) await runRecorded(ctx, listener.name, listener.run, deadline - performance.now());
    // The workers stop intake once their drain delay is over: stop accepting then (cluster.ts).
    await sleep(ctx.startedAt + ctx.config.drainDelayMs - performance.now(), ctx.skipWaits);
    // Right after an I/O poll, which accepted what the kernel had queued: closing a listener
    // resets the connections still in its backlog.
    await new Promise((resolve) => setImmediate(resolve));
    closePrimaryListeners();
  };
  const workers = await stopWorkers(signal, deadline, ctx.skipWaits, meanwhile);
  ctx.summary.workers = workers;
  ctx.summary.drainMs = performance.now() - started;
  const killed = workers.filter((w) => w.killed).length;
  ctx.summary.drainOutcome = killed === 0 ? 'clean' : ctx.skipWaits.aborted ? 'skipped' : 'forced';
}
