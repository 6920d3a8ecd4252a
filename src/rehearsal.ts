/**
 * A rehearsal of the sequence, once, while the server serves. The first run of any code pays for
 * V8 compiling each function it calls (lazily, on first call) and for Node's own timer and
 * AbortSignal code on first use: on an idle server that is ~3 ms of a ~4 ms shutdown, and the
 * same phases run a second time take ~0.3 ms. So a while after the first listen the phases run
 * once on a context of their own: a server of their own that never listens, no connection, no
 * work, a hook and a flush step that do nothing, nothing reported, a fresh readiness and deadline
 * state. Nothing of the app or the engine is touched; a real shutdown then finds the code compiled.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Config } from './config.js';
import { ConnectionTracker } from './discovery.js';
import type { RunContext } from './run-context.js';
import { runSequence } from './sequence.js';
import { newSummary } from './summary.js';
import { WorkTracker } from './work.js';

/** After the telemetry's warm-up has begun (2.5 s after the first listen), off the first traffic. */
export const REHEARSAL_AFTER_LISTEN_MS = 3000;

/** Runs the phases on an empty context; resolves with the milliseconds it took. */
export async function rehearse(config: Config): Promise<number> {
  const started = performance.now();
  // A server that never listens: the loops over servers and their sockets run too, over nothing.
  const tracker = new ConnectionTracker();
  tracker.add(createServer());
  const work = new WorkTracker();
  const ctx: RunContext = {
    engine: { ready: true, shutdownController: new AbortController(), deadlineController: new AbortController() },
    // No delay and no linger to wait out: those phases only wait, and waiting costs nothing to compile.
    config: { ...config, drainDelayMs: 0, metricsLingerMs: 0 },
    tracker,
    work,
    summary: newSummary('SIGTERM', tracker, work),
    startedAt: started,
    hardDeadline: started + config.gracePeriodMs - config.safetyMarginMs,
    skipWaits: new AbortController().signal,
    requestedExitCode: undefined,
    report: () => {},
    enterStep: () => {},
  };
  await runSequence(ctx, {
    clusterPrimary: false,
    clusterWorker: false,
    prepareTelemetry: () => {},
    // One of each that does nothing, so the hook runner and the flush step's wrapper are compiled too.
    hooks: [{ name: 'rehearsal', fn: () => {}, timeoutMs: undefined, order: 0, seq: 0 }],
    adopted: [],
    steps: [{ name: 'rehearsal', stage: 'providers', flush: () => undefined }],
    nextScrape: undefined,
    setPhase: () => {},
    drainOver: () => {},
  });
  return performance.now() - started;
}
