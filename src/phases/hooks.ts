/**
 * Phase 5: cleanup hooks, in order, each with its own timeout inside the hooks budget and an
 * AbortSignal. A throwing or hung hook is recorded and the sequence goes on.
 */
import { performance } from 'node:perf_hooks';
import type { RegisteredHook } from '../hook-registry.js';
import { runHook } from '../hook-runner.js';
import type { RunContext } from '../run-context.js';

export async function runHooks(ctx: RunContext, hooks: readonly RegisteredHook[]): Promise<void> {
  const { config } = ctx;
  const phaseDeadline = Math.min(performance.now() + config.hooksTimeoutMs, ctx.hardDeadline - config.flushTimeoutMs);
  for (const hook of hooks) {
    if (ctx.skipWaits.aborted) {
      // Cut short (second SIGINT, process.exit): the hooks that did not run are recorded as such.
      ctx.summary.hooks.push({ name: hook.name, outcome: 'skipped', durationMs: 0, error: 'not run: shutdown cut short' });
      ctx.summary.forced.hook++;
      continue;
    }
    const remaining = phaseDeadline - performance.now();
    await runRecorded(ctx, hook.name, hook.fn, Math.min(hook.timeoutMs ?? config.hooksTimeoutMs, remaining));
  }
}

/** Runs one cleanup function through the hook runner and records its outcome. */
export async function runRecorded(
  ctx: RunContext,
  name: string,
  fn: (signal: AbortSignal) => unknown,
  timeoutMs: number,
): Promise<void> {
  ctx.report('hookStarted', name);
  const result = await runHook(name, fn, timeoutMs, ctx.skipWaits);
  ctx.summary.hooks.push(result);
  if (result.outcome === 'timeout') ctx.summary.forced.hook++;
  ctx.report('hookEnded', result);
}
