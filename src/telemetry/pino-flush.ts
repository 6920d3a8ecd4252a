/**
 * Finds the app's pino loggers and flushes their destinations before exit.
 *
 * Loggers are found without code change through pino's `pino_asJson` tracing
 * channel (pino >= 9.10), or registered explicitly. We never import pino: the
 * app may carry its own copy, so everything here is duck-typed against the
 * destinations pino builds (SonicBoom, thread-stream, multistream) and plain
 * Node.js Writables.
 *
 * @packageDocumentation
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** Outcome of {@link PinoFlusher.flush}. Every destination lands in exactly one bucket. */
export interface PinoFlushResult {
  /** Distinct leaf destinations considered (inner streams of multistreams counted, the multistream itself not). */
  streams: number;
  /** Destinations that reported everything written. */
  flushed: number;
  /** Destinations already ended, closed or destroyed: nothing to do. */
  skipped: number;
  /** Destinations whose flush threw or called back with an error. */
  failed: number;
  /** Destinations still busy at the deadline; left behind (see {@link PinoFlusher.flush}). */
  timedOut: number;
  /** Wall time spent in `flush`. */
  durationMs: number;
  /** Messages of the errors counted in `failed`. */
  errors: string[];
}

/** Finds pino destinations and flushes them within a deadline. */
export interface PinoFlusher {
  /**
   * Start finding loggers through pino's `tracing:pino_asJson:start` channel
   * (idempotent). A logger is seen on its first emitted line, so a logger that
   * never logged is not found; {@link PinoFlusher.register} it instead.
   * While watching, pino runs `traceSync` for every line; our subscriber only
   * does a property read and a `WeakSet` check.
   */
  watch(): void;
  /** Stop watching (unsubscribe). Streams already found stay known. */
  unwatch(): void;
  /**
   * Register a pino logger (its destination is taken) or a destination stream.
   * @returns false when `loggerOrStream` is neither.
   */
  register(loggerOrStream: unknown): boolean;
  /** Number of distinct destination streams known (a multistream counts once). */
  size(): number;
  /**
   * Flush every known destination, and the inner streams of multistreams, in
   * parallel. Resolves by `deadline` (epoch ms) at the latest and never rejects.
   * A ref'd timer is held while waiting, so unref'd transport workers get to
   * answer on an otherwise idle event loop.
   *
   * Meant as the last step before `process.exit`: a destination still busy at
   * the deadline is treated as dead and its `flushSync`/`end` are replaced
   * with no-ops, because pino calls them from its `exit` handler, where they
   * block (thread-stream waits up to 10 s each, SonicBoom retries EAGAIN
   * forever) and would push the exit past the grace period.
   */
  flush(deadline: number): Promise<PinoFlushResult>;
}

/** The destination shapes we handle; every member is optional because we duck-type. */
interface Dest {
  write?: unknown;
  flush?: (...args: unknown[]) => unknown;
  flushSync?: () => void;
  end?: unknown;
  destroyed?: boolean;
  closed?: boolean;
  writableFinished?: boolean;
  writableLength?: number;
  // SonicBoom
  fd?: number;
  sync?: boolean;
  minLength?: number;
  _writing?: boolean;
  _len?: number;
  // thread-stream
  worker?: unknown;
  // pino.multistream
  streams?: Array<{ stream?: unknown }>;
  on?: (event: string, fn: (arg?: unknown) => void) => unknown;
  removeListener?: (event: string, fn: (arg?: unknown) => void) => unknown;
}

type Done = (err?: unknown) => void;
type Cleanups = Array<() => void>;

const CHANNEL = 'tracing:pino_asJson:start';
/** How often a plain Writable is polled for an empty buffer: it has no "idle" event. */
const POLL_MS = 5;

// `Symbol('pino.stream')` of every pino copy seen so far (usually one).
// pino keeps it private, so it is found by description on the instance.
const streamSyms: symbol[] = [];

/** Create a flusher with its own set of known destinations. */
export function createPinoFlusher(): PinoFlusher {
  const seen = new WeakSet<object>();
  // Weak: pino lets an unused transport be collected (and its worker stopped).
  let known: Array<WeakRef<object>> = [];
  let watching = false;

  function add(stream: object): void {
    seen.add(stream);
    known.push(new WeakRef(stream));
  }

  // Runs for every log line while watching: no allocation, one WeakSet check.
  function onStart(message: unknown): void {
    const instance = (message as { instance?: unknown } | null)?.instance;
    if (typeof instance !== 'object' || instance === null) return;
    for (let i = 0; i < streamSyms.length; i++) {
      const stream: unknown = (instance as Record<symbol, unknown>)[streamSyms[i] as symbol];
      if (stream !== undefined) {
        if (typeof stream === 'object' && stream !== null && !seen.has(stream)) add(stream);
        return;
      }
    }
    if (findStreamSym(instance)) onStart(message);
  }

  function live(): object[] {
    const out: object[] = [];
    const alive: Array<WeakRef<object>> = [];
    for (const ref of known) {
      const s = ref.deref();
      if (s !== undefined) {
        out.push(s);
        alive.push(ref);
      }
    }
    known = alive;
    return out;
  }

  return {
    watch() {
      if (watching) return;
      subscribe(CHANNEL, onStart);
      watching = true;
    },
    unwatch() {
      if (!watching) return;
      unsubscribe(CHANNEL, onStart);
      watching = false;
    },
    register(loggerOrStream) {
      const stream = streamOf(loggerOrStream);
      if (stream === undefined) return false;
      if (!seen.has(stream)) add(stream);
      return true;
    },
    size() {
      return live().length;
    },
    flush(deadline) {
      return flushAll(leaves(live()), deadline);
    },
  };
}

/**
 * Look for pino's stream symbol along the prototype chain (children inherit it) and cache it.
 * Never throws: it runs inside a channel subscriber, where a throw would crash the app.
 */
function findStreamSym(obj: object): boolean {
  try {
    for (let o: object | null = obj, depth = 0; o !== null && depth < 64; o = Object.getPrototypeOf(o) as object | null, depth++) {
      for (const sym of Object.getOwnPropertySymbols(o)) {
        if (sym.description === 'pino.stream' && !streamSyms.includes(sym)) {
          streamSyms.push(sym);
          return true;
        }
      }
    }
  } catch {
    // a Proxy or exotic object: not a pino logger
  }
  return false;
}

/** The destination of a pino logger, or the argument itself if it is a stream. */
function streamOf(x: unknown): object | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  for (let pass = 0; pass < 2; pass++) {
    for (const sym of streamSyms) {
      const s: unknown = (x as Record<symbol, unknown>)[sym];
      if (typeof s === 'object' && s !== null) return s;
    }
    if (!findStreamSym(x)) break;
  }
  const d = x as Dest;
  return typeof d.write === 'function' || isMultistream(d) ? x : undefined;
}

function isMultistream(d: Dest): boolean {
  return Array.isArray(d.streams) && typeof d.write === 'function';
}

/** Replace multistreams by their inner streams (pino's multistream has no `flush(cb)`). */
function leaves(streams: object[]): Set<Dest> {
  const out = new Set<Dest>();
  const visited = new Set<object>();
  const visit = (s: unknown): void => {
    if (typeof s !== 'object' || s === null || visited.has(s)) return;
    visited.add(s);
    const d = s as Dest;
    if (isMultistream(d)) {
      for (const entry of d.streams ?? []) visit(entry?.stream);
    } else {
      out.add(d);
    }
  };
  for (const s of streams) visit(s);
  return out;
}

function isFinished(d: Dest): boolean {
  return d.destroyed === true || d.closed === true || d.writableFinished === true;
}

function flushAll(targets: Set<Dest>, deadline: number): Promise<PinoFlushResult> {
  const start = Date.now();
  const result: PinoFlushResult = {
    streams: targets.size, flushed: 0, skipped: 0, failed: 0, timedOut: 0, durationMs: 0, errors: [],
  };
  return new Promise((resolve) => {
    const pending = new Set<Dest>();
    const cleanups: Cleanups = [];
    let finished = false;
    let starting = true; // pending empties between synchronous flushes while starting
    // Ref'd on purpose: keeps the loop alive for unref'd transport workers; also bounds every wait.
    const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));

    function finish(): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const fn of cleanups) fn();
      result.timedOut = pending.size;
      for (const d of pending) abandon(d);
      result.durationMs = Date.now() - start;
      resolve(result);
    }

    for (const d of targets) {
      if (isFinished(d)) {
        result.skipped++;
        continue;
      }
      pending.add(d);
      const done: Done = (err) => {
        if (finished || !pending.delete(d)) return;
        if (err == null) {
          result.flushed++;
        } else {
          result.failed++;
          result.errors.push(err instanceof Error ? err.message : String(err));
        }
        if (pending.size === 0 && !starting) finish();
      };
      attempt(d, done, cleanups);
    }
    starting = false;
    if (pending.size === 0) finish();
  });
}

/** flushOne, with a throw (e.g. SonicBoom's "not ready", thread-stream's "took too long") counted as failed. */
function attempt(d: Dest, done: Done, cleanups: Cleanups): void {
  try {
    flushOne(d, done, cleanups);
  } catch (err) {
    done(err ?? new Error('flush threw'));
  }
}

function flushOne(d: Dest, done: Done, cleanups: Cleanups): void {
  if (isSonicBoom(d)) return flushSonic(d, done, cleanups);
  // thread-stream (>= 4.1 waits for the worker's destination) and anything else with flush(cb)
  if (typeof d.flush === 'function') return callFlush(d, d.flush, done);
  if (typeof d.flushSync === 'function') {
    d.flushSync();
    return done();
  }
  if (typeof d.writableLength === 'number') return waitWritable(d, done, cleanups);
  done();
}

function isSonicBoom(d: Dest): boolean {
  return typeof d.flushSync === 'function' && typeof d.fd === 'number' && typeof d.sync === 'boolean';
}

function flushSonic(d: Dest, done: Done, cleanups: Cleanups): void {
  if ((d.fd as number) < 0) {
    // The file is still opening: flushSync throws "sonic boom is not ready yet". Go on in the
    // next tick: SonicBoom emits 'ready' before it starts writing, and a flush(cb) from inside
    // the listener makes it send the same buffer twice (duplicated lines, seen with minLength).
    const resume = (): void => attempt(d, done, cleanups);
    return once(d, 'ready', (err) => (err == null ? process.nextTick(resume) : done(err)), cleanups);
  }
  if (d.sync) {
    // Writes went out synchronously unless minLength buffers them.
    if ((d.minLength ?? 0) > 0) d.flushSync?.();
    return done();
  }
  if ((d.minLength ?? 0) > 0 || typeof d._writing !== 'boolean' || typeof d._len !== 'number') {
    // flush(cb) writes the buffer out and calls back on 'drain' (after fsync).
    return callFlush(d, d.flush as (...args: unknown[]) => unknown, done);
  }
  // With minLength 0 (pino.destination's default) SonicBoom's flush(cb) calls back at once,
  // even with a write in flight; wait for its queue to empty instead ('drain' fires when it does).
  const idle = (): boolean => d._writing === false && d._len === 0;
  if (idle()) return done();
  const check = (): void => {
    if (idle()) done();
  };
  listen(d, 'drain', check, cleanups);
  once(d, 'close', done, cleanups);
}

function callFlush(d: Dest, flush: (...args: unknown[]) => unknown, done: Done): void {
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
function waitWritable(d: Dest, done: Done, cleanups: Cleanups): void {
  const idle = (): boolean => d.writableLength === 0 || isFinished(d);
  if (idle()) return done();
  const interval = setInterval(() => {
    if (idle()) done();
  }, POLL_MS);
  cleanups.push(() => clearInterval(interval));
  listen(d, 'error', (err) => done(err ?? new Error('stream error')), cleanups);
}

/** Call `done` on `event`, or with an error on 'error'/'close' first. */
function once(d: Dest, event: string, done: Done, cleanups: Cleanups): void {
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

function listen(d: Dest, event: string, fn: (arg?: unknown) => void, cleanups: Cleanups): void {
  d.on?.(event, fn);
  cleanups.push(() => d.removeListener?.(event, fn));
}

function noop(): void {}

/** Disarm the synchronous waits pino's exit handler would run on a destination that missed the deadline. */
function abandon(d: Dest): void {
  if (typeof d.flushSync === 'function') d.flushSync = noop;
  // thread-stream's end() blocks in Atomics.wait for the worker; a plain Writable's end() does not.
  if (d.worker !== undefined && typeof d.end === 'function') d.end = noop;
}
