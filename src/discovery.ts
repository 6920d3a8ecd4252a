/**
 * Finds the app's HTTP servers and counts their sockets and in-flight requests, with no code
 * change in the app: Node's diagnostics channels report every listen, accepted socket and
 * request. The request path only bumps integers; it adds one `close` listener per response
 * because aborted requests never reach `finish`. Per server, http2 ones get a `session` listener
 * and https ones a `secureConnection` listener (neither changes a default). No `upgrade`,
 * `clientError` or `timeout` listener is ever added: each would change Node's default behaviour.
 * It also finds, for the shutdown, the sockets that are idle, upgraded, or streaming events.
 */
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { kIdleSince, kIgnored, kRequestStart, kSecured, kTracked } from './symbols.js';
import type { ServerSnapshot } from './types.js';

/** Request starts are kept modulo 2^30 so they stay small integers (no boxing). */
const SMALL_INT_MASK = 0x3fffffff;

type Kind = ServerSnapshot['kind'];
type TrackedSocket = Socket & {
  [kTracked]?: TrackedServer;
  [kRequestStart]?: number;
  [kIdleSince]?: number;
  [kSecured]?: boolean;
  /** The raw socket under a TLS socket. */
  _parent?: TrackedSocket | null;
  /** Node's HTTP parser; `null` once freed, which for an open socket means it was upgraded. */
  parser?: unknown;
  server?: Server & { [kTracked]?: TrackedServer };
  _httpMessage?: http.ServerResponse | null;
};

/** A request cut at the drain deadline. */
export interface CancelledRequest {
  server: string;
  method: string;
  path: string;
  ageMs: number;
}

/** One watched server and its live counters. */
export class TrackedServer implements ServerSnapshot {
  connections = 0;
  inflight = 0;
  /** Accepted sockets of every kind, upgraded ones included. */
  readonly sockets = new Set<Socket>();
  /** Sockets that carry HTTP/1 requests: the same set for http, the TLS sockets for https. */
  readonly httpSockets: Set<Socket>;
  /** Open HTTP/2 sessions. */
  readonly sessions = new Set<Http2Session>();

  constructor(
    readonly server: Server,
    readonly kind: Kind,
    public name: string,
    readonly tracker: ConnectionTracker,
  ) {
    this.httpSockets = kind === 'https' ? new Set() : this.sockets;
  }

  snapshot(): ServerSnapshot {
    return { name: this.name, kind: this.kind, connections: this.connections, inflight: this.inflight };
  }
}

/** Counts sockets and requests of every watched server; totals are kept for the drain check. */
export class ConnectionTracker {
  readonly servers = new Set<TrackedServer>();
  connections = 0;
  inflight = 0;
  /** From the delay on: every response gets `Connection: close`. */
  closing = false;
  /** From stop-intake on: sockets end after their last response and every count-down checks for idle. */
  draining = false;
  /** Called when a count reaches zero while draining. */
  onCountDown: () => void = () => {};
  /** Called for a server that starts listening after stop-intake (it is closed at once). */
  onLateListen: (server: Server) => void = () => {};

  private subscribed = false;

  /** `onServer` is called once for each server, when it is first seen. */
  constructor(private readonly onServer: (server: TrackedServer) => void = () => {}) {}

  // Channel handlers are created once here, never per request.
  private readonly onListen = (message: unknown): void => {
    const { server } = message as { server: Server };
    if (!server.listening) return;
    const tracked = this.add(server);
    if (this.draining && tracked !== undefined) this.onLateListen(server);
    // A server added by hand before it listened gets its port-based name now.
    if (tracked !== undefined && tracked.name.endsWith(':unbound')) tracked.name = serverName(server, tracked.kind);
  };

  private readonly onSocket = (message: unknown): void => {
    const socket = (message as { socket: TrackedSocket }).socket;
    const tracked = socket.server?.[kTracked];
    if (tracked === undefined) return;
    this.trackSocket(tracked, socket, tracked.sockets);
  };

  private readonly onRequest = (message: unknown): void => {
    const { response, socket } = message as { response: http.ServerResponse; socket: TrackedSocket };
    const tracked = socket.server?.[kTracked];
    if (tracked === undefined) return;
    tracked.inflight++;
    this.inflight++;
    if (socket[kTracked] === undefined) this.trackSocket(tracked, socket, tracked.httpSockets);
    socket[kRequestStart] = performance.now() & SMALL_INT_MASK;
    response.on('close', onResponseClose);
    if (this.closing && !response.headersSent) response.setHeader('connection', 'close');
  };

  /** Subscribes to Node's channels; idempotent. */
  subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    dc.subscribe('tracing:net.server.listen:asyncEnd', this.onListen);
    dc.subscribe('net.server.socket', this.onSocket);
    dc.subscribe('http.server.request.start', this.onRequest);
  }

  /**
   * Watches a server: an http, https or http2 server, listening or not yet. Sockets accepted
   * before this call are not counted. Returns `undefined` for servers that are not HTTP or that
   * are marked ignored (the health server).
   */
  add(server: Server): TrackedServer | undefined {
    const existing = (server as Server & { [kTracked]?: TrackedServer })[kTracked];
    if (existing !== undefined) return existing;
    if ((server as Server & { [kIgnored]?: boolean })[kIgnored] === true) return undefined;
    const kind = serverKind(server);
    if (kind === undefined) return undefined;
    const tracked = new TrackedServer(server, kind, serverName(server, kind), this);
    (server as Server & { [kTracked]?: TrackedServer })[kTracked] = tracked;
    this.servers.add(tracked);
    if (kind === 'http2') server.on('session', (session: Http2Session) => this.trackSession(tracked, session));
    // TLS sockets are watched from the handshake on, not from their first request: the idle
    // sweep and the WebSocket going-away (wss) need the ones that never send one too.
    if (kind === 'https') server.on('secureConnection', (socket: TrackedSocket) => this.trackTls(tracked, socket));
    this.onServer(tracked);
    return tracked;
  }

  /** Open sockets, in-flight requests and open HTTP/2 sessions are all zero. */
  isIdle(): boolean {
    return this.connections === 0 && this.inflight === 0;
  }

  /** Requests in flight now, for the cancellation report at the deadline. */
  inflightRequests(now = performance.now()): CancelledRequest[] {
    const nowSmall = now & SMALL_INT_MASK;
    const list: CancelledRequest[] = [];
    for (const tracked of this.servers) {
      for (const socket of tracked.httpSockets as Set<TrackedSocket>) {
        const response = socket._httpMessage;
        if (response === undefined || response === null || response.writableFinished) continue;
        const request = (response as http.ServerResponse & { req?: http.IncomingMessage }).req;
        const started = socket[kRequestStart] ?? nowSmall;
        list.push({
          server: tracked.name,
          method: request?.method ?? 'UNKNOWN',
          path: (request?.url ?? '').split('?')[0] ?? '',
          ageMs: (nowSmall - started) & SMALL_INT_MASK,
        });
      }
    }
    return list;
  }

  private trackSocket(tracked: TrackedServer, socket: TrackedSocket, set: Set<Socket>): void {
    socket[kTracked] = tracked;
    socket[kIdleSince] = performance.now() & SMALL_INT_MASK;
    set.add(socket);
    if (set === tracked.sockets) {
      tracked.connections++;
      this.connections++;
      socket.on('close', onSocketClose);
    } else {
      socket.on('close', onHttpSocketClose);
    }
  }

  private trackTls(tracked: TrackedServer, socket: TrackedSocket): void {
    if (socket[kTracked] === undefined) this.trackSocket(tracked, socket, tracked.httpSockets);
    const raw = socket._parent;
    if (raw !== undefined && raw !== null) raw[kSecured] = true;
  }

  private trackSession(tracked: TrackedServer, session: Http2Session): void {
    tracked.sessions.add(session);
    session.once('close', () => tracked.sessions.delete(session));
    session.on('stream', (stream: ServerHttp2Stream) => {
      tracked.inflight++;
      this.inflight++;
      stream.once('close', () => {
        tracked.inflight--;
        this.inflight--;
        // A session opened after the delay began is told to go away once it has served a stream.
        if (this.closing && !session.closed) session.close();
        if (this.draining) this.onCountDown();
      });
    });
    if (this.draining) session.close();
  }
}

/**
 * Closes the HTTP/1 sockets of `tracked` that carry no request and have been idle for `idleMs`
 * (since accepted or since their last response). Upgraded sockets are left to going-away.ts.
 * @returns how many sockets were closed.
 */
export function closeIdleSockets(tracked: TrackedServer, idleMs: number, now = performance.now()): number {
  if (tracked.kind === 'http2') return 0;
  const nowSmall = now & SMALL_INT_MASK;
  let closed = 0;
  const closeIfIdle = (socket: TrackedSocket): void => {
    const since = socket[kIdleSince];
    if (since === undefined) socket[kIdleSince] = nowSmall;
    else if (((nowSmall - since) & SMALL_INT_MASK) >= idleMs) {
      socket.destroy();
      closed++;
    }
  };
  for (const socket of tracked.httpSockets as Set<TrackedSocket>) {
    if (socket.destroyed || socket.parser === null) continue;
    if (socket._httpMessage !== null && socket._httpMessage !== undefined) continue;
    closeIfIdle(socket);
  }
  // https: a raw socket whose TLS handshake never completed (silent, or stalled) is idle too.
  if (tracked.httpSockets !== tracked.sockets) {
    for (const socket of tracked.sockets as Set<TrackedSocket>) if (!socket.destroyed && socket[kSecured] !== true) closeIfIdle(socket);
  }
  return closed;
}

/** Open sockets of `tracked` whose HTTP parser is gone: upgraded ones (WebSockets). */
export function upgradedSockets(tracked: TrackedServer): Socket[] {
  if (tracked.kind === 'http2') return [];
  const list: Socket[] = [];
  for (const socket of tracked.httpSockets as Set<TrackedSocket>) if (!socket.destroyed && socket.parser === null) list.push(socket);
  return list;
}

/** In-flight responses of `tracked` (at most one per socket: the one being written). */
export function openResponses(tracked: TrackedServer): http.ServerResponse[] {
  const list: http.ServerResponse[] = [];
  for (const socket of tracked.httpSockets as Set<TrackedSocket>) {
    const response = socket._httpMessage;
    if (response !== undefined && response !== null && !response.writableEnded) list.push(response);
  }
  return list;
}

/** Shared by every response; `this` is the response, so no closure is made per request. */
function onResponseClose(this: http.ServerResponse): void {
  const socket = (this as http.ServerResponse & { req: http.IncomingMessage }).req.socket as TrackedSocket;
  const tracked = socket[kTracked];
  if (tracked === undefined) return;
  tracked.inflight--;
  const tracker = tracked.tracker;
  tracker.inflight--;
  // The client may be writing its next request on this socket already: while draining, the idle
  // sweep closes it only once it has stayed idle from now (idle-sweep.ts).
  socket[kIdleSince] = performance.now() & SMALL_INT_MASK;
  if (tracker.draining) tracker.onCountDown();
}

function onSocketClose(this: TrackedSocket): void {
  const tracked = this[kTracked];
  if (tracked === undefined) return;
  tracked.sockets.delete(this);
  tracked.connections--;
  tracked.tracker.connections--;
  if (tracked.tracker.draining) tracked.tracker.onCountDown();
}

function onHttpSocketClose(this: TrackedSocket): void {
  this[kTracked]?.httpSockets.delete(this);
}

/** Marks a server (the health server) so it is never watched. */
export function ignoreServer(server: Server): void {
  (server as Server & { [kIgnored]?: boolean })[kIgnored] = true;
}

/** An http, https or http2 server that graceful-otel would watch (the health server excluded). */
export function isHttpServer(server: Server): boolean {
  return (server as Server & { [kIgnored]?: boolean })[kIgnored] !== true && serverKind(server) !== undefined;
}

// https is told apart by shape: importing node:https here would load tls and crypto on the
// startup path of every app, HTTPS or not.
function serverKind(server: Server): Kind | undefined {
  const name = server.constructor?.name;
  if (name === 'Http2Server' || name === 'Http2SecureServer') return 'http2';
  if (server instanceof http.Server) return 'http';
  const candidate = server as Server & { setSecureContext?: unknown; closeIdleConnections?: unknown };
  if (typeof candidate.setSecureContext === 'function' && typeof candidate.closeIdleConnections === 'function') return 'https';
  return undefined;
}

function serverName(server: Server, kind: Kind): string {
  const address = server.address();
  if (address === null) return `${kind}:unbound`;
  if (typeof address === 'string') return `${kind}:${address}`;
  return `${kind}:${address.port}`;
}
