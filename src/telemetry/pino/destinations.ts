/**
 * The destination shapes pino builds — SonicBoom, thread-stream (transports), multistream — and
 * plain Node.js Writables, told apart by duck typing: the app may carry its own copy of pino, so
 * nothing here imports it.
 */

/** A destination; every member is optional because it is duck-typed. */
export interface Destination {
  write?: unknown;
  flush?: (...args: unknown[]) => unknown;
  flushSync?: () => void;
  end?: unknown;
  destroyed?: boolean;
  closed?: boolean;
  writableFinished?: boolean;
  writableLength?: number;
  /** The error that ended it (Node Writables and thread-stream: a transport whose worker died). */
  writableErrored?: unknown;
  /** SonicBoom: the file descriptor (-1 while the file opens), sync mode, buffering threshold. */
  fd?: number;
  sync?: boolean;
  minLength?: number;
  /** thread-stream: the transport's worker. */
  worker?: unknown;
  /** pino.multistream: the inner destinations. */
  streams?: Array<{ stream?: unknown }>;
  on?: (event: string, fn: (arg?: unknown) => void) => unknown;
  removeListener?: (event: string, fn: (arg?: unknown) => void) => unknown;
}

export function isMultistream(d: Destination): boolean {
  return Array.isArray(d.streams) && typeof d.write === 'function';
}

export function isSonicBoom(d: Destination): boolean {
  return typeof d.flushSync === 'function' && typeof d.fd === 'number' && typeof d.sync === 'boolean';
}

export function isThreadStream(d: Destination): boolean {
  return d.worker !== undefined;
}

/** Already ended, closed or destroyed: nothing to flush. */
export function isFinished(d: Destination): boolean {
  return d.destroyed === true || d.closed === true || d.writableFinished === true;
}

/** The destinations to flush: multistreams replaced by their inner streams (they have no `flush(cb)`). */
export function leaves(streams: Iterable<object>): Set<Destination> {
  const out = new Set<Destination>();
  const visited = new Set<object>();
  const visit = (s: unknown): void => {
    if (typeof s !== 'object' || s === null || visited.has(s)) return;
    visited.add(s);
    const d = s as Destination;
    if (isMultistream(d)) {
      for (const entry of d.streams ?? []) visit(entry?.stream);
    } else {
      out.add(d);
    }
  };
  for (const s of streams) visit(s);
  return out;
}

function noop(): void {}

/**
 * Disarms the synchronous waits pino's own `exit` handler would run on a destination that is given
 * up on: thread-stream's `flushSync`/`end` block in `Atomics.wait` (up to 10 s each) and
 * SonicBoom's `flushSync` retries EAGAIN forever on a full pipe, which would push the exit past
 * the grace period.
 */
export function disarm(d: Destination): void {
  if (typeof d.flushSync === 'function') d.flushSync = noop;
  // A plain Writable's end() does not block; thread-stream's does.
  if (isThreadStream(d) && typeof d.end === 'function') d.end = noop;
}
