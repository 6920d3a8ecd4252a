/** Runs one cleanup function with a timeout and an AbortSignal; never throws, never waits past it. */
import { performance } from 'node:perf_hooks';
import { settleWithin } from './deadline.js';
import type { HookResult } from './observer.js';

/**
 * Calls `fn(signal)` and waits for it at most `timeoutMs` (or until `skipWaits` aborts). The signal
 * aborts when the hook is given up on, so well-behaved hooks can stop their work.
 */
export async function runHook(
  name: string,
  fn: (signal: AbortSignal) => unknown,
  timeoutMs: number,
  skipWaits?: AbortSignal,
): Promise<HookResult> {
  const started = performance.now();
  const controller = new AbortController();
  let failure: unknown;
  let failed = false;
  const running = new Promise((resolve) => resolve(fn(controller.signal))).catch((error: unknown) => {
    failed = true;
    failure = error;
  });
  const settled = await settleWithin(running, timeoutMs, skipWaits);
  const durationMs = performance.now() - started;
  if (!settled) {
    controller.abort(new Error(`hook "${name}" timed out after ${Math.round(timeoutMs)}ms`));
    return { name, outcome: 'timeout', durationMs };
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
