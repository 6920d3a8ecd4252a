/**
 * Phase 3: stop intake. Listeners close; idle keep-alive sockets close at once (Node's
 * `server.close()` does that since v19); in-flight responses that have not sent headers get
 * `Connection: close`; busy sockets end right after their last response (see discovery.ts);
 * HTTP/2 sessions get GOAWAY and finish their open streams.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { RunContext } from '../run-context.js';

export function stopIntake(ctx: RunContext): void {
  const tracker = ctx.tracker;
  tracker.closing = true;
  tracker.draining = true;
  for (const tracked of tracker.servers) {
    for (const socket of tracked.httpSockets) {
      const response = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
      if (response !== undefined && response !== null && !response.headersSent) response.setHeader('connection', 'close');
    }
    if (tracked.server.listening) tracked.server.close();
    for (const session of tracked.sessions) session.close();
  }
}
