/**
 * The shutdown sequence: one ordered, deadline-bound run of the phases, each in a file of its own
 * under phases/. This file only orders them and keeps time.
 */
import { performance } from 'node:perf_hooks';
import { log } from './log.js';
import type { Flusher } from './observer.js';
import { delay } from './phases/delay.js';
import { drain } from './phases/drain.js';
import { decideExitCode, exit } from './phases/exit.js';
import { lingerForScrape, LOG_STAGE, runAdoptedListeners, runFlushers } from './phases/flush.js';
import { runHooks, type RegisteredHook } from './phases/hooks.js';
import { failReadiness } from './phases/readiness.js';
import { stopIntake } from './phases/stop-intake.js';
import type { RunContext } from './run-context.js';
import type { Phase } from './types.js';

export interface SequenceParts {
  hooks: readonly RegisteredHook[];
  adopted: readonly { name: string; run: () => unknown }[];
  flushers: readonly Flusher[];
  /** Resolves on the next scrape of the health server's `/metrics` (for the linger). */
  nextScrape: (() => Promise<void>) | undefined;
  setPhase(phase: Phase): void;
  /** Resolved when the drain is over (the preStop endpoint answers then). */
  drained(): void;
}

export async function runSequence(ctx: RunContext, parts: SequenceParts): Promise<never> {
  const { summary, config } = ctx;
  failReadiness(ctx);
  ctx.report('shutdownStarted', summary);

  if (config.drainDelayMs > 0) await inPhase(ctx, parts, 'delay', () => delay(ctx));
  await inPhase(ctx, parts, 'drain', async () => {
    stopIntake(ctx);
    ctx.report('drainStarted', summary);
    await drain(ctx, parts.hooks.length > 0); // conn: the hooks' share is held back only when a hook is registered
  });
  parts.drained();
  await inPhase(ctx, parts, 'hooks', () => runHooks(ctx, parts.hooks));

  const code = decideExitCode(ctx);
  summary.exitCode = code;
  ctx.report('exitDecided', summary);

  await inPhase(ctx, parts, 'flush', async () => {
    const flushStarted = performance.now();
    if (config.metricsLingerMs > 0 && parts.nextScrape !== undefined) await lingerForScrape(ctx, parts.nextScrape);
    await runAdoptedListeners(ctx, parts.adopted);
    const deadline = Math.min(performance.now() + config.flushTimeoutMs, ctx.hardDeadline);
    // A dead exporter may use its share up to the end; the log lines keep a reserve of their own.
    const logReserve = Math.min(500, config.flushTimeoutMs / 4);
    await runFlushers(ctx, parts.flushers, (stage) => stage < LOG_STAGE, deadline - logReserve);
    summary.phaseMs.flush = performance.now() - flushStarted; // so far, for the summary line
    logSummary(ctx);
    await runFlushers(ctx, parts.flushers, (stage) => stage >= LOG_STAGE, deadline);
  });
  ctx.report('exiting', summary);
  return exit(ctx, code);
}

async function inPhase(ctx: RunContext, parts: SequenceParts, phase: Phase, body: () => Promise<void>): Promise<void> {
  const started = performance.now();
  parts.setPhase(phase);
  ctx.report('phaseStarted', phase, ctx.summary);
  try {
    await body();
  } finally {
    ctx.summary.phaseMs[phase] = performance.now() - started;
    ctx.report('phaseEnded', phase, ctx.summary);
  }
}

function logSummary(ctx: RunContext): void {
  const s = ctx.summary;
  const round = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms));
  log().info(
    {
      event: 'shutdown.summary',
      trigger: s.trigger,
      exit_code: s.exitCode,
      duration_ms: Math.round(performance.now() - ctx.startedAt),
      phases_ms: Object.fromEntries(Object.entries(s.phaseMs).map(([k, v]) => [k, round(v)])),
      connections_at_start: s.connectionsAtStart,
      inflight_at_start: s.inflightAtStart,
      work_at_start: s.workAtStart,
      drain: { outcome: s.drainOutcome, duration_ms: round(s.drainMs) },
      forced: s.forced,
      hooks: s.hooks.map((h) => ({ name: h.name, outcome: h.outcome, duration_ms: round(h.durationMs), error: h.error })),
      flushed: s.flush.map((f) => ({ name: f.name, outcome: f.outcome, duration_ms: round(f.durationMs), detail: f.detail })),
      cut_short: s.cutShort,
    },
    'graceful shutdown finished',
  );
}
