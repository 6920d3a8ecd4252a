/** Runs one cleanup function with a timeout and an AbortSignal; never throws, never waits past it. */
import { performance } from 'node:perf_hooks';
import { settleWithin } from './deadline.js';
import type { HookResult } from './observer.js';

/**
 * Calls `fn(signal)` and waits for it at most `timeoutMs` (or until `skipWaits` aborts). The signal
 * aborts when the hook is given up on, so well-behaved hooks can stop their work. When the wait is
 * cut short (a `process.exit()` from the hook itself, a second SIGINT), the hook still gets one turn
 * of the event loop to settle, so a hook that ends with `process.exit(0)` is recorded as it ended;
 * one still running then is recorded `skipped` with `cutReason`.
 */
export async function runHook(
  name: string,
  fn: (signal: AbortSignal) => unknown,
  timeoutMs: number,
  skipWaits?: AbortSignal,
  cutReason: () => string = () => 'shutdown cut short',
): Promise<HookResult> {
  const started = performance.now();
  const controller = new AbortController();
  let failure: unknown;
  let failed = false;
  let done = false;
  const running = new Promise((resolve) => resolve(fn(controller.signal)))
    .catch((error: unknown) => {
      failed = true;
      failure = error;
    })
    .finally(() => (done = true));
  let settled = await settleWithin(running, timeoutMs, skipWaits);
  if (!settled && skipWaits?.aborted === true) {
    await new Promise((resolve) => setImmediate(resolve));
    settled = done;
  }
  const durationMs = performance.now() - started;
  if (!settled) {
    const cut = skipWaits?.aborted === true;
    controller.abort(new Error(cut ? `hook "${name}" given up on: ${cutReason()}` : `hook "${name}" timed out after ${Math.round(timeoutMs)}ms`));
    return cut
      ? { name, outcome: 'skipped', durationMs, error: `given up on while running: ${cutReason()}` }
      : { name, outcome: 'timeout', durationMs, error: `timed out after ${Math.round(timeoutMs)}ms` };
  }
  if (failed) {
    const stack = failure instanceof Error ? failure.stack : undefined;
    return { name, outcome: 'error', durationMs, error: describeError(failure), ...(stack !== undefined ? { stack } : {}) };
  }
  return { name, outcome: 'ok', durationMs };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
