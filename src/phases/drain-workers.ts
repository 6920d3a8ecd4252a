/**
 * Phase 4 of a cluster primary: pass the signal on to every worker and wait for them all. The
 * workers run the sequence themselves (delay, drain, hooks, flush) within the same budget, so the
 * primary waits up to its own hard deadline, less a moment for its last log lines.
 */
import { performance } from 'node:perf_hooks';
import { stopWorkers } from '../cluster.js';
import type { RunContext } from '../run-context.js';

/** Kept after the wait for the primary's summary line and log flush. */
const FINAL_LINES_MS = 100;

export async function drainWorkers(ctx: RunContext): Promise<void> {
  const signal: NodeJS.Signals = ctx.summary.trigger === 'SIGINT' ? 'SIGINT' : 'SIGTERM';
  const started = performance.now();
  const workers = await stopWorkers(signal, ctx.hardDeadline - FINAL_LINES_MS, ctx.skipWaits);
  ctx.summary.workers = workers;
  ctx.summary.drainMs = performance.now() - started;
  const killed = workers.filter((w) => w.killed).length;
  ctx.summary.drainOutcome = killed === 0 ? 'clean' : ctx.skipWaits.aborted ? 'skipped' : 'forced';
}
