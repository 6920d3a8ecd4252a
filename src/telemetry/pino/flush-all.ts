/**
 * Flushes every destination in parallel, within a deadline; what misses it or fails is disarmed.
 * The disarm also runs at process exit, before pino's own exit handler: the caller may stop
 * waiting (its own deadline) a moment before this deadline fires, and the process exits then.
 */
import { disarm, isFinished, type Destination } from './destinations.js';
import { flushDestination, type Cleanups, type Done } from './strategies.js';

/** Outcome of a flush. Every destination lands in exactly one bucket. */
export interface PinoFlushResult {
  /** Distinct leaf destinations considered (inner streams of multistreams counted, the multistream itself not). */
  streams: number;
  /** Destinations that reported everything written. */
  flushed: number;
  /** Destinations already ended, closed or destroyed without an error: nothing to do. */
  skipped: number;
  /** Destinations whose flush threw or called back with an error, or that an error ended; disarmed (see {@link disarm}). */
  failed: number;
  /** Destinations still busy at the deadline; disarmed (see {@link disarm}). */
  timedOut: number;
  /** Wall time spent. */
  durationMs: number;
  /** Messages of the errors counted in `failed`. */
  errors: string[];
}

/**
 * Resolves by `deadline` (epoch ms) at the latest and never rejects. A ref'd timer is held while
 * waiting, so unref'd transport workers get to answer on an otherwise idle event loop.
 */
export function flushAll(targets: Set<Destination>, deadline: number): Promise<PinoFlushResult> {
  const start = Date.now();
  const result: PinoFlushResult = { streams: targets.size, flushed: 0, skipped: 0, failed: 0, timedOut: 0, durationMs: 0, errors: [] };
  if (targets.size === 0) return Promise.resolve(result);
  return new Promise((resolve) => {
    const pending = new Set<Destination>();
    const cleanups: Cleanups = [];
    let finished = false;
    let starting = true; // pending empties between synchronous flushes while starting
    // Ref'd on purpose: keeps the loop alive for unref'd transport workers; also bounds every wait.
    const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    // Prepended: runs before the exit handlers pino registered when the loggers were made.
    process.prependListener('exit', finish);

    function finish(): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      process.removeListener('exit', finish);
      for (const fn of cleanups) fn();
      result.timedOut = pending.size;
      for (const d of pending) disarm(d);
      result.durationMs = Date.now() - start;
      resolve(result);
    }

    const fail = (d: Destination, err: unknown): void => {
      // A failed destination (ENOSPC, EPIPE) would block pino's exit handler the same way.
      disarm(d);
      result.failed++;
      result.errors.push(err instanceof Error ? ('code' in err && typeof err.code === 'string' && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message) : String(err));
    };
    for (const d of targets) {
      if (isFinished(d)) {
        // Ended by an error (a transport whose worker died on ENOSPC): its lines are lost; say so.
        if (d.writableErrored != null) fail(d, d.writableErrored);
        else result.skipped++;
        continue;
      }
      pending.add(d);
      const done: Done = (err) => {
        if (finished || !pending.delete(d)) return;
        if (err == null) {
          result.flushed++;
        } else {
          fail(d, err);
        }
        if (pending.size === 0 && !starting) finish();
      };
      flushDestination(d, done, cleanups);
    }
    starting = false;
    if (pending.size === 0) finish();
  });
}
