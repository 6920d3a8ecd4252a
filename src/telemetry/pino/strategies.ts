/**
 * How each kind of destination is flushed; each calls `done` once, with an error if it failed.
 * pino's public `logger.flush(cb)` only calls its destination's `flush(cb)`; several loggers share
 * one destination, so it is called on the destination, once.
 */
import { isFinished, isSonicBoom, type Destination } from './destinations.js';
import { sonicBoomIdle } from './private-fields.js';

export type Done = (err?: unknown) => void;
export type Cleanups = Array<() => void>;

/** How often a plain Writable is polled for an empty buffer: it has no "idle" event. */
const POLL_MS = 5;

/** Flushes `d`; a throw (SonicBoom's "not ready", thread-stream's "took too long") counts as failed. */
export function flushDestination(d: Destination, done: Done, cleanups: Cleanups): void {
  try {
    pick(d, done, cleanups);
  } catch (err) {
    done(err ?? new Error('flush threw'));
  }
}

function pick(d: Destination, done: Done, cleanups: Cleanups): void {
  if (isSonicBoom(d)) return flushSonicBoom(d, done, cleanups);
  // thread-stream (>= 4.1 waits for the worker's destination) and anything else with flush(cb)
  if (typeof d.flush === 'function') return callFlush(d, d.flush, done);
  if (typeof d.flushSync === 'function') {
    d.flushSync();
    return done();
  }
  if (typeof d.writableLength === 'number') return waitWritable(d, done, cleanups);
  done();
}

function flushSonicBoom(d: Destination, done: Done, cleanups: Cleanups): void {
  if ((d.fd as number) < 0) {
    // The file is still opening: flushSync throws "sonic boom is not ready yet". Go on in the
    // next tick: SonicBoom emits 'ready' before it starts writing, and a flush(cb) from inside
    // the listener makes it send the same buffer twice (duplicated lines, seen with minLength).
    const resume = (): void => flushDestination(d, done, cleanups);
    return once(d, 'ready', (err) => (err == null ? process.nextTick(resume) : done(err)), cleanups);
  }
  if (d.sync) {
    // Writes went out synchronously unless minLength buffers them.
    if ((d.minLength ?? 0) > 0) d.flushSync?.();
    return done();
  }
  const idle = (d.minLength ?? 0) > 0 ? undefined : sonicBoomIdle(d);
  // flush(cb) writes the buffer out and calls back on 'drain': right when minLength buffers.
  if (idle === undefined) return callFlush(d, d.flush as (...args: unknown[]) => unknown, done);
  if (idle) return done();
  // A write is in flight: wait for the queue to empty ('drain' fires when it does).
  listen(d, 'drain', () => {
    if (sonicBoomIdle(d) === true) done();
  }, cleanups);
  once(d, 'close', done, cleanups);
}

function callFlush(d: Destination, flush: (...args: unknown[]) => unknown, done: Done): void {
  if (flush.length === 0) {
    // flush() without a callback parameter: it is synchronous or returns a promise.
    const r = flush.call(d);
    if (isThenable(r)) r.then(() => done(), (err: unknown) => done(err ?? new Error('flush rejected')));
    else done();
    return;
  }
  flush.call(d, (err?: unknown) => done(err ?? undefined));
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** A plain Writable (e.g. fs.createWriteStream) loses its buffer on process.exit; poll until it is empty. */
function waitWritable(d: Destination, done: Done, cleanups: Cleanups): void {
  const idle = (): boolean => d.writableLength === 0 || isFinished(d);
  if (idle()) return done();
  const interval = setInterval(() => {
    if (idle()) done();
  }, POLL_MS);
  cleanups.push(() => clearInterval(interval));
  listen(d, 'error', (err) => done(err ?? new Error('stream error')), cleanups);
}

/** Calls `done` on `event`, or with an error on 'error'/'close' first. */
function once(d: Destination, event: string, done: Done, cleanups: Cleanups): void {
  let fired = false;
  const fire = (err?: unknown): void => {
    if (fired) return;
    fired = true;
    off();
    done(err);
  };
  const onEvent = (): void => fire();
  const onError = (err?: unknown): void => fire(err ?? new Error('stream error'));
  const onClose = (): void => fire(event === 'close' ? undefined : new Error(`closed before ${event}`));
  const off = (): void => {
    d.removeListener?.(event, onEvent);
    d.removeListener?.('error', onError);
    d.removeListener?.('close', onClose);
  };
  d.on?.(event, onEvent);
  d.on?.('error', onError);
  if (event !== 'close') d.on?.('close', onClose);
  cleanups.push(off);
}

function listen(d: Destination, event: string, fn: (arg?: unknown) => void, cleanups: Cleanups): void {
  d.on?.(event, fn);
  cleanups.push(() => d.removeListener?.(event, fn));
}
