/**
 * Phase 5: cleanup hooks, in order, each with its own timeout inside the hooks budget and an
 * AbortSignal. A throwing or hung hook is recorded and the sequence goes on. A hook without a
 * timeout of its own gets a fair share of what is left (the rest of the budget divided by the hooks
 * still to run), so a hung hook cannot take the time of the hooks after it.
 */
import { performance } from 'node:perf_hooks';
import type { RegisteredHook } from '../hook-registry.js';
import type { HookResult } from '../observer.js';
import { runHook } from '../hook-runner.js';
import type { RunContext } from '../run-context.js';

export async function runHooks(ctx: RunContext, hooks: readonly RegisteredHook[]): Promise<void> {
  const { config } = ctx;
  const phaseDeadline = Math.min(performance.now() + config.hooksTimeoutMs, ctx.hardDeadline - config.flushTimeoutMs);
  for (const [index, hook] of hooks.entries()) {
    if (config.hooksTimeoutMs === 0 || hook.timeoutMs === 0) {
      // Turned off by configuration: not run, and not a failure.
      const setting = config.hooksTimeoutMs === 0 ? 'GRACEFUL_OTEL_HOOKS_TIMEOUT=0' : 'its timeout is 0';
      record(ctx, { name: hook.name, outcome: 'skipped', durationMs: 0, error: `not run: ${setting}` }, false);
      continue;
    }
    const remaining = phaseDeadline - performance.now();
    if (ctx.skipWaits.aborted || remaining <= 0) {
      // Cut short (second SIGINT, the app's process.exit()) or out of budget: recorded as not run.
      const why = ctx.skipWaits.aborted ? cutReason(ctx) : 'the hooks budget is used up';
      record(ctx, { name: hook.name, outcome: 'skipped', durationMs: 0, error: `not run: ${why}` }, !exitedByApp(ctx));
      continue;
    }
    const fairShare = remaining / (hooks.length - index);
    await runRecorded(ctx, hook.name, hook.fn, Math.min(hook.timeoutMs ?? fairShare, remaining));
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
  ctx.enterStep(name, true);
  const result = await runHook(name, fn, timeoutMs, ctx.skipWaits, () => cutReason(ctx));
  record(ctx, result, result.outcome === 'timeout' || (result.outcome === 'skipped' && !exitedByApp(ctx)));
  ctx.report('hookEnded', result);
}

/** Records a hook's outcome in the summary; `cut` counts it as work cut (which fails the exit code). */
function record(ctx: RunContext, result: HookResult, cut: boolean): void {
  ctx.summary.hooks.push(result);
  if (cut) ctx.summary.forced.hook++;
}

/** The app itself asked to exit: what it left undone is its choice, not a cut. */
function exitedByApp(ctx: RunContext): boolean {
  return ctx.requestedExitCode !== undefined && ctx.summary.cutShort === `process.exit(${ctx.requestedExitCode})`;
}

function cutReason(ctx: RunContext): string {
  return exitedByApp(ctx) ? `the app called process.exit(${ctx.requestedExitCode})` : `shutdown cut short (${ctx.summary.cutShort ?? 'skipped'})`;
}
