/**
 * WebSocket and Server-Sent Events "going away", with no code in the app. At stop-intake:
 * - every upgraded socket (the HTTP parser gone: Node frees it on upgrade) gets a WebSocket close
 *   frame with code 1001, "going away" (RFC 6455 §5.5.1: `0x88 0x02 0x03 0xE9`, unmasked from a
 *   server, never compressed per RFC 7692), and {@link GOING_AWAY_WINDOW_MS} to close; what is
 *   still open then is closed, and counted as closed, not forced;
 * - every `text/event-stream` response is ended cleanly (its terminating chunk is sent), so the
 *   client's EventSource reconnects elsewhere.
 * Apps that manage their own set `GRACEFUL_OTEL_GOING_AWAY=off`.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import { openResponses, upgradedSockets } from '../discovery.js';
import { log } from '../log.js';
import type { RunContext } from '../run-context.js';

/** Close frame, FIN + opcode 8, payload length 2, status code 1001 (going away). */
export const CLOSE_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);
/** How long a WebSocket client has to answer the close frame. */
export const GOING_AWAY_WINDOW_MS = 1000;

/** Tells WebSocket and SSE clients to go away; returns a function that cancels the window. */
export function goAway(ctx: RunContext, windowMs = GOING_AWAY_WINDOW_MS): () => void {
  const sockets: Socket[] = [];
  let streams = 0;
  for (const tracked of ctx.tracker.servers) {
    for (const socket of upgradedSockets(tracked)) {
      socket.write(CLOSE_GOING_AWAY, () => {});
      sockets.push(socket);
    }
    for (const response of openResponses(tracked)) if (isEventStream(response)) {
      endStream(response);
      streams++;
    }
  }
  if (sockets.length === 0 && streams === 0) return () => {};
  log().info({ event: 'shutdown.going_away', websockets: sockets.length, event_streams: streams }, 'told WebSocket and SSE clients to go away');
  if (sockets.length === 0) return () => {};
  const timer = setTimeout(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.destroy();
  }, windowMs);
  timer.unref();
  return () => clearTimeout(timer);
}

const EVENT_STREAM = /\r\ncontent-type:[ \t]*text\/event-stream/i;

/**
 * Reads the header block as sent: `writeHead(status, headers)` with no earlier `setHeader` writes
 * its headers without storing them, so `getHeader()` would not see them. `_header` holds the
 * block in every Node version since 0.x.
 */
function isEventStream(response: http.ServerResponse): boolean {
  const sent = (response as http.ServerResponse & { _header?: string | null })._header;
  return typeof sent === 'string' && EVENT_STREAM.test(sent);
}

/**
 * Ends the stream. The app's timer may write to it once more before it sees `close`: such a write
 * after end would emit an unhandled 'error' on the response and crash the app, so it is absorbed.
 */
function endStream(response: http.ServerResponse): void {
  response.on('error', () => {});
  response.end();
}
