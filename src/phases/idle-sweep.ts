/**
 * The keep-alive race, avoided: a socket that looks idle may carry a request the client has just
 * written, so stop-intake closes none at once. Every response from then on says
 * `Connection: close` (Node ends the socket after it); a socket with no request is closed only
 * once it has stayed idle for {@link IDLE_CLOSE_MS} (counted from before the shutdown: one idle
 * for longer already is closed in the first pass). One timer sweeps every watched socket, so
 * 10 000 idle sockets cost one pass per tick, not one timer each.
 */
import { closeIdleSockets, type ConnectionTracker } from '../discovery.js';

/** A socket idle this long during the drain is closed: far longer than a busy client's gap between two requests. */
export const IDLE_CLOSE_MS = 300;
/** How often the sweep looks. */
export const SWEEP_EVERY_MS = 100;

/**
 * Starts the sweep; it runs until the returned function is called. Each pass is deferred to
 * `setImmediate`, after the event loop's I/O poll: a request that arrived while the loop was
 * busy is parsed (and its socket marked busy) before the pass can judge the socket idle.
 */
export function startIdleSweep(tracker: ConnectionTracker, idleMs = IDLE_CLOSE_MS): () => void {
  const pass = (): void => {
    for (const tracked of tracker.servers) closeIdleSockets(tracked, idleMs);
  };
  setImmediate(pass);
  const timer = setInterval(() => setImmediate(pass), SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
