/**
 * Phase 7: the exit code. The exit itself goes through the exit guard (exit-guard.ts), so it
 * happens also when the app's timers would keep the loop alive.
 */
import type { RunContext } from '../run-context.js';

/**
 * 0 when nothing was cut and every hook succeeded, otherwise the configured failure code. A code
 * the app asked for with `process.exit(n)` during the sequence wins when it is not 0, and is
 * kept when everything was clean.
 */
export function decideExitCode(ctx: RunContext): number {
  const { summary, config } = ctx;
  const forced = Object.values(summary.forced).some((n) => n > 0);
  const workerFailed = summary.workers?.some((w) => w.code !== 0 || w.killed) ?? false;
  // Hooks that timed out or were cut are counted in `forced.hook`; one the configuration turned
  // off, or the app's own process.exit() left undone, is not a failure.
  const failed = forced || workerFailed || summary.hooks.some((h) => h.outcome === 'error');
  const requested = ctx.requestedExitCode;
  if (!failed) return requested ?? 0;
  return requested !== undefined && requested !== 0 ? requested : config.failureExitCode;
}
