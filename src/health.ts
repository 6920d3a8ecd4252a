/**
 * The health server: `GET /readyz` (503 until the app listens, 200 while ready and its checks
 * pass, 503 from the first moment of shutdown),
 * `GET /livez` (200 until exit), `GET /metrics`, and `/prestop`, which starts the shutdown and
 * answers only once the drain is over so a Kubernetes preStop hook can block on it. Its own
 * traffic is never counted as the app's, and it does not keep the process alive.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { ignoreServer } from './discovery.js';
import type { Config, PreStopAccess } from './config.js';
import type { Exposition } from './observer.js';
import { readinessBody, type ReadinessReport } from './readiness.js';

export interface HealthRoutes {
  /** Answers `/readyz` (runs the app's readiness checks). */
  readiness(): Promise<ReadinessReport>;
  /** Exposition for `/metrics`, or `undefined` while no metrics are set up. */
  metrics(openMetrics: boolean): Promise<Exposition | undefined>;
  /** Starts the shutdown (or joins the running one); resolves when the drain is over. */
  preStop(): Promise<unknown>;
  /** Called once each `/metrics` scrape has been answered (the linger waits for one). */
  scraped(): void;
  /**
   * Called synchronously when the server cannot listen (busy port, a name that does not resolve),
   * before any promise settles: the app's own `listening` callbacks must not run first.
   */
  listenFailed(error: Error): void;
}

export interface HealthOptions {
  port: number;
  host: string | undefined;
  preStop: PreStopAccess;
}

/** The health server's lifecycle: started, moved or stopped as the configuration says. */
export class HealthService {
  private server: http.Server | undefined;
  private options: HealthOptions | undefined;
  private scrapeWaiters: (() => void)[] = [];

  constructor(private readonly routes: Omit<HealthRoutes, 'scraped'>) {}

  /** Port it listens on, or `undefined` when it is off. */
  get port(): number | undefined {
    return this.server === undefined ? undefined : healthPort(this.server);
  }

  /**
   * Starts, restarts or stops the server so it matches `config`; resolves once it listens.
   * @returns true when it (re)started.
   * @throws the listen error (a busy port, an address that does not resolve).
   */
  async apply(config: Config): Promise<boolean> {
    const next: HealthOptions | undefined =
      config.healthPort === undefined ? undefined : { port: config.healthPort, host: config.healthHost, preStop: config.preStop };
    const previous = this.options;
    if (previous?.port === next?.port && previous?.host === next?.host && previous?.preStop === next?.preStop) return false;
    this.options = next;
    const running = this.server;
    this.server = undefined;
    if (running !== undefined) await new Promise((resolve) => running.close(resolve));
    if (next === undefined) return false;
    this.server = await startHealthServer(
      {
        ...this.routes,
        scraped: () => {
          for (const resolve of this.scrapeWaiters.splice(0)) resolve();
        },
      },
      next,
    );
    return true;
  }

  /** Resolves once the next `/metrics` scrape has been answered; `undefined` when the server is off. */
  nextScrape(): (() => Promise<void>) | undefined {
    if (this.server === undefined) return undefined;
    return () => new Promise<void>((resolve) => this.scrapeWaiters.push(resolve));
  }
}

/** Starts the health server; resolves once it listens. */
function startHealthServer(routes: HealthRoutes, options: HealthOptions): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    handle(routes, options, request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, `${String(error)}\n`);
      else response.destroy();
    });
  });
  ignoreServer(server);
  // Probes come every few seconds; keep-alive sockets must not hold the exit.
  server.keepAliveTimeout = 1000;
  // Resolved here, synchronously, so the bind (and a busy port's error) happens before the app's
  // code runs; a name resolved by listen() itself would be bound only after the app serves.
  let host: string | undefined;
  try {
    host = options.host === undefined ? undefined : resolveHostSync(options.host);
  } catch (error) {
    routes.listenFailed(error as Error);
    throw error;
  }
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      routes.listenFailed(error);
      reject(error);
    });
    server.listen({ port: options.port, host }, () => {
      server.removeAllListeners('error');
      server.unref();
      resolve(server);
    });
  });
}

/**
 * The address `listen()` would bind for `host` (the first that `dns.lookup` gives), resolved
 * synchronously: an IP address as is, a name by a short-lived `node` child (about 40 ms, only for
 * names, once at startup). Node.js has no synchronous lookup of its own.
 * @throws when the name does not resolve.
 */
function resolveHostSync(host: string): string {
  if (isIP(host) !== 0) return host;
  const lookup = "require('node:dns').lookup(process.argv[1], (e, a) => e ? (process.stderr.write(e.code || e.message), process.exit(2)) : process.stdout.write(a))";
  try {
    // No NODE_OPTIONS: the child must not load this preload again.
    return execFileSync(process.execPath, ['-e', lookup, host], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5000,
      env: { ...process.env, NODE_OPTIONS: '' },
    }).trim();
  } catch (error) {
    const reason = String((error as { stderr?: unknown }).stderr ?? '').trim() || (error as Error).message;
    throw new Error(`cannot resolve ${host} (GRACEFUL_OTEL_HEALTH_HOST): ${reason}`);
  }
}

function healthPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

async function handle(
  routes: HealthRoutes,
  options: HealthOptions,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const method = request.method ?? 'GET';
  if (path === '/prestop') {
    if (method !== 'GET' && method !== 'POST') return reply(response, 405, 'use GET or POST\n', { allow: 'GET, POST' });
    if (options.preStop === 'off') return reply(response, 404, 'not found\n');
    if (options.preStop === 'loopback' && !isLoopback(request.socket.remoteAddress)) {
      return reply(response, 403, 'preStop is only accepted from loopback (GRACEFUL_OTEL_PRESTOP=loopback)\n');
    }
    await routes.preStop();
    return reply(response, 200, 'drained\n');
  }
  if (method !== 'GET' && method !== 'HEAD') return reply(response, 405, 'use GET\n', { allow: 'GET, HEAD' });
  switch (path) {
    case '/readyz': {
      const report = await routes.readiness();
      return reply(response, report.ready ? 200 : 503, readinessBody(report));
    }
    case '/livez':
      return reply(response, 200, 'alive\n');
    case '/metrics': {
      // The linger waits for a scrape that has been answered, not merely asked.
      response.once('finish', () => routes.scraped());
      const accept = request.headers.accept ?? '';
      const exposition = await routes.metrics(accept.includes('application/openmetrics-text'));
      if (exposition === undefined) return reply(response, 404, 'metrics are not set up\n');
      return reply(response, 200, exposition.body, { 'content-type': exposition.contentType });
    }
    default:
      return reply(response, 404, 'not found\n');
  }
}

function reply(
  response: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
