/**
 * Cleanup hooks registered with `onShutdown()`: validated at registration, handed to the hooks
 * phase (phases/hooks.ts) in run order.
 */
import { MAX_DURATION_MS, parseDuration } from './duration.js';
import type { HookOptions, ShutdownHook } from './types.js';

export interface RegisteredHook {
  name: string;
  fn: ShutdownHook;
  timeoutMs: number | undefined;
  order: number;
  /** Registration order, the tie-breaker between equal orders. */
  seq: number;
}

export class HookRegistry {
  private readonly hooks: RegisteredHook[] = [];
  private seq = 0;

  /**
   * Adds a hook; returns a function that removes it.
   * @throws {TypeError} naming the hook and the invalid argument.
   */
  add(name: string, fn: ShutdownHook, options: HookOptions = {}): () => void {
    if (typeof name !== 'string' || name === '') throw new TypeError('onShutdown(name, fn): name must be a non-empty string');
    if (typeof fn !== 'function') throw new TypeError(`onShutdown("${name}", fn): fn must be a function`);
    let timeoutMs: number | undefined;
    if (options.timeout !== undefined) {
      timeoutMs = typeof options.timeout === 'number' ? options.timeout : parseDuration(options.timeout);
      if (timeoutMs === undefined || !(timeoutMs >= 0 && timeoutMs <= MAX_DURATION_MS)) {
        throw new TypeError(`onShutdown("${name}"): timeout ${JSON.stringify(options.timeout)} is not a duration (250ms, 5s, 1m or milliseconds, at most ${MAX_DURATION_MS}ms)`);
      }
    }
    const order = options.order ?? 0;
    if (!Number.isFinite(order)) throw new TypeError(`onShutdown("${name}"): order must be a finite number`);
    const hook: RegisteredHook = { name, fn, timeoutMs, order, seq: this.seq++ };
    this.hooks.push(hook);
    return () => {
      const at = this.hooks.indexOf(hook);
      if (at >= 0) this.hooks.splice(at, 1);
    };
  }

  /** Number of hooks registered now. */
  get size(): number {
    return this.hooks.length;
  }

  /** The hooks in run order: ascending `order`, then registration order. */
  ordered(): RegisteredHook[] {
    return [...this.hooks].sort((a, b) => a.order - b.order || a.seq - b.seq);
  }
}
