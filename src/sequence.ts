/**
 * The shutdown sequence: one ordered, deadline-bound run of the phases, each in a file of its own
 * under phases/. This file only orders them and times them.
 */
import { performance } from 'node:perf_hooks';
import { CLUSTER_HANDOFF_MS } from './cluster.js';
import type { RegisteredHook } from './hook-registry.js';
import { delay } from './phases/delay.js';
import { drain } from './phases/drain.js';
import { drainWorkers } from './phases/drain-workers.js';
import { decideExitCode } from './phases/exit.js';
import { flush, type FlushParts } from './phases/flush.js';
import { runHooks } from './phases/hooks.js';
import { failReadiness } from './phases/readiness.js';
import { stopIntake } from './phases/stop-intake.js';
import type { RunContext } from './run-context.js';
import type { Phase } from './types.js';

export interface SequenceParts extends FlushParts {
  /** A cluster primary drains by stopping its workers (they delay and drain themselves). */
  clusterPrimary: boolean;
  /** A cluster worker: the primary accepts its connections. */
  clusterWorker: boolean;
  /** Sets up what the telemetry still lacks (after a shutdown that came before its warm-up). */
  prepareTelemetry(): void;
  hooks: readonly RegisteredHook[];
  setPhase(phase: Phase): void;
  /** Called when the drain is over (the preStop endpoint answers then). */
  drainOver(): void;
}

/** Runs the phases; resolves with the exit code once everything but the exit is done. */
export async function runSequence(ctx: RunContext, parts: SequenceParts): Promise<number> {
  const { summary, config } = ctx;
  failReadiness(ctx);
  // Readiness fails first: loading what the telemetry still lacks must not hold it up.
  parts.prepareTelemetry();
  ctx.report('shutdownStarted', summary);

  let flushParts: FlushParts = parts;
  if (parts.clusterPrimary) {
    await inPhase(ctx, parts, 'drain', () => drainWorkers(ctx, parts.adopted));
    flushParts = { ...parts, adopted: [] }; // they ran with the workers' stop
  } else {
    // A cluster worker serves a moment longer, while the primary's queue drains to it (cluster.ts).
    const delayMs = config.drainDelayMs + (parts.clusterWorker ? CLUSTER_HANDOFF_MS : 0);
    if (delayMs > 0) await inPhase(ctx, parts, 'delay', () => delay(ctx, delayMs));
    await inPhase(ctx, parts, 'drain', async () => {
      stopIntake(ctx);
      ctx.report('drainStarted', summary);
      await drain(ctx, parts.hooks.length > 0); // the hooks' share is held back only when a hook is registered
    });
  }
  parts.drainOver();
  await inPhase(ctx, parts, 'hooks', () => runHooks(ctx, parts.hooks));

  summary.exitCode = decideExitCode(ctx);
  ctx.report('exitDecided', summary);

  await inPhase(ctx, parts, 'flush', () => flush(ctx, flushParts));
  return summary.exitCode;
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
