/**
 * Phase 3: stop intake. Listeners close, but no socket is destroyed here: one that looks idle may
 * carry a request in transit (the keep-alive race). Instead, in-flight responses that have not
 * sent headers get `Connection: close`, every later response too (discovery.ts), and sockets with
 * no request close once they have stayed idle (idle-sweep.ts). WebSockets and SSE streams are
 * told to go away (going-away.ts); HTTP/2 sessions get GOAWAY and finish their open streams.
 */
import type http from 'node:http';
import type { Server } from 'node:net';
import type { RunContext } from '../run-context.js';
import { goAway } from './going-away.js';
import { startIdleSweep } from './idle-sweep.js';

/** Per run: stops the idle sweep and the going-away window (the drain calls it when it ends). */
const timers = new WeakMap<RunContext, () => void>();

/** Stops what {@link stopIntake} left running; safe to call more than once. */
export function stopIntakeTimers(ctx: RunContext): void {
  timers.get(ctx)?.();
  timers.delete(ctx);
}

export function stopIntake(ctx: RunContext): void {
  const tracker = ctx.tracker;
  tracker.closing = true;
  tracker.draining = true;
  tracker.onLateListen = closeListener;
  for (const tracked of tracker.servers) {
    for (const socket of tracked.httpSockets) {
      const response = (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
      if (response !== undefined && response !== null && !response.headersSent) response.setHeader('connection', 'close');
    }
    closeListener(tracked.server);
    for (const session of tracked.sessions) session.close();
  }
  const stopGoingAway = ctx.config.goingAway ? goAway(ctx) : () => {};
  const stopSweep = startIdleSweep(tracker);
  timers.set(ctx, () => {
    stopSweep();
    stopGoingAway();
  });
}

/**
 * Stops accepting connections without Node's `closeIdleConnections()`, which `http.Server#close`
 * calls first (lib/_http_server.js, v19+) and which destroys every socket with no response in
 * progress: exactly the keep-alive race. The instance gets a no-op for the length of the call.
 */
function closeListener(server: Server): void {
  if (!server.listening) return;
  const target = server as Server & { closeIdleConnections?: () => void };
  if (typeof target.closeIdleConnections !== 'function') {
    server.close();
    return;
  }
  const own = Object.getOwnPropertyDescriptor(target, 'closeIdleConnections');
  target.closeIdleConnections = () => {};
  try {
    server.close();
  } finally {
    if (own === undefined) delete target.closeIdleConnections;
    else Object.defineProperty(target, 'closeIdleConnections', own);
  }
}
