/**
 * Phase 6, always last and bounded: first the signal listeners graceful-otel adopted (after the
 * shutdown spans have ended, so an `sdk.shutdown()` among them exports those spans too), then the
 * flushers stage by stage — telemetry providers, Pushgateway, then the summary line and the log
 * buffers. Nothing here waits past the flush deadline.
 */
import { performance } from 'node:perf_hooks';
import { settleWithin } from '../deadline.js';
import type { Flusher, FlushResult } from '../observer.js';
import type { RunContext } from '../run-context.js';
import { describeError } from '../hook-runner.js';
import { runRecorded } from './hooks.js';

/** Flushers at or above this stage run after the summary line is written: they flush logs. */
export const LOG_STAGE = 50;

/** With a metrics linger configured, waits for one more scrape of `/metrics` (bounded). */
export async function lingerForScrape(ctx: RunContext, nextScrape: () => Promise<void>): Promise<void> {
  const until = Math.min(performance.now() + ctx.config.metricsLingerMs, ctx.hardDeadline - ctx.config.flushTimeoutMs);
  await settleWithin(nextScrape(), until - performance.now(), ctx.cut);
}

export async function runAdoptedListeners(
  ctx: RunContext,
  listeners: readonly { name: string; run: () => unknown }[],
): Promise<void> {
  // They share what is left before the flush reserve.
  const deadline = ctx.hardDeadline - ctx.config.flushTimeoutMs;
  for (const listener of listeners) {
    await runRecorded(ctx, listener.name, listener.run, deadline - performance.now());
  }
}

export async function runFlushers(
  ctx: RunContext,
  flushers: readonly Flusher[],
  stages: (stage: number) => boolean,
  deadline: number,
): Promise<void> {
  const selected = flushers.filter((f) => stages(f.stage) && (f.enabled?.() ?? true));
  const stageNumbers = [...new Set(selected.map((f) => f.stage))].sort((a, b) => a - b);
  for (const stage of stageNumbers) {
    const results = await Promise.all(selected.filter((f) => f.stage === stage).map((f) => flushOne(ctx, f, deadline)));
    ctx.summary.flush.push(...results);
  }
}

async function flushOne(ctx: RunContext, flusher: Flusher, deadline: number): Promise<FlushResult> {
  const started = performance.now();
  let error: unknown;
  let detail: string | undefined;
  const running = Promise.resolve()
    .then(() => flusher.flush(deadline, ctx.summary))
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
    ? { name: flusher.name, outcome: 'timeout', durationMs }
    : error !== undefined
      ? { name: flusher.name, outcome: 'error', durationMs, detail: describeError(error) }
      : { name: flusher.name, outcome: 'ok', durationMs, ...(detail !== undefined ? { detail } : {}) };
  ctx.report('flushEnded', result);
  return result;
}
