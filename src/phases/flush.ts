/**
 * Phase 6, always last and bounded: the metrics linger (if configured), then the signal listeners
 * graceful-otel adopted (after the shutdown spans have ended, so an `sdk.shutdown()` among them
 * exports those spans too), then the flush steps stage by stage in {@link FLUSH_STAGES} order.
 * Nothing here waits past the flush deadline.
 */
import { performance } from 'node:perf_hooks';
import { settleWithin } from '../deadline.js';
import { describeError } from '../hook-runner.js';
import { FIRST_LOG_STAGE, FLUSH_STAGES, type FlushResult, type FlushStep } from '../observer.js';
import type { RunContext } from '../run-context.js';
import type { AdoptedListener } from '../signals.js';
import { runRecorded } from './hooks.js';

export interface FlushParts {
  steps: readonly FlushStep[];
  adopted: readonly AdoptedListener[];
  /** Resolves on the next scrape of the health server's `/metrics` (for the linger). */
  nextScrape: (() => Promise<void>) | undefined;
}

/** A dead exporter may use its share up to the end; the log lines keep a reserve of their own. */
const MAX_LOG_RESERVE_MS = 500;

export async function flush(ctx: RunContext, parts: FlushParts): Promise<void> {
  const { config } = ctx;
  const started = performance.now();
  if (config.metricsLingerMs > 0 && parts.nextScrape !== undefined) await lingerForScrape(ctx, parts.nextScrape);
  await runAdoptedListeners(ctx, parts.adopted);
  const deadline = Math.min(performance.now() + config.flushTimeoutMs, ctx.hardDeadline);
  const logReserve = Math.min(MAX_LOG_RESERVE_MS, config.flushTimeoutMs / 4);
  const firstLogStage = FLUSH_STAGES.indexOf(FIRST_LOG_STAGE);
  for (const [index, stage] of FLUSH_STAGES.entries()) {
    const steps = parts.steps.filter((step) => step.stage === stage && (step.enabled?.() ?? true));
    if (steps.length === 0) continue;
    // The summary line reads the flush's duration so far.
    ctx.summary.phaseMs.flush = performance.now() - started;
    const stageDeadline = index < firstLogStage ? deadline - logReserve : deadline;
    ctx.summary.flush.push(...(await Promise.all(steps.map((step) => flushStep(ctx, step, stageDeadline)))));
  }
}

/** With a metrics linger configured, waits for one more scrape of `/metrics` (bounded). */
async function lingerForScrape(ctx: RunContext, nextScrape: () => Promise<void>): Promise<void> {
  const until = Math.min(performance.now() + ctx.config.metricsLingerMs, ctx.hardDeadline - ctx.config.flushTimeoutMs);
  await settleWithin(nextScrape(), until - performance.now(), ctx.skipWaits);
}

async function runAdoptedListeners(ctx: RunContext, listeners: readonly AdoptedListener[]): Promise<void> {
  // They share what is left before the flush reserve.
  const deadline = ctx.hardDeadline - ctx.config.flushTimeoutMs;
  for (const listener of listeners) {
    await runRecorded(ctx, listener.name, listener.run, deadline - performance.now());
  }
}

async function flushStep(ctx: RunContext, step: FlushStep, deadline: number): Promise<FlushResult> {
  const started = performance.now();
  ctx.enterStep(step.name);
  let error: unknown;
  let detail: string | undefined;
  const running = Promise.resolve()
    .then(() => step.flush(deadline, ctx.summary))
    .then(
      (value) => {
        if (typeof value === 'string') detail = value;
      },
      (e: unknown) => {
        error = e ?? new Error('flush failed');
      },
    );
  const settled = await settleWithin(running, deadline - started);
  const durationMs = performance.now() - started;
  const result: FlushResult = !settled
    ? { name: step.name, outcome: 'timeout', durationMs }
    : error !== undefined
      ? { name: step.name, outcome: 'error', durationMs, detail: describeError(error) }
      : { name: step.name, outcome: 'ok', durationMs, ...(detail !== undefined ? { detail } : {}) };
  ctx.report('flushEnded', result);
  return result;
}
