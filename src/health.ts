/**
 * The health server: `GET /readyz` (503 until the app listens, 200 while ready and its checks
 * pass, 503 from the first moment of shutdown),
 * `GET /livez` (200 until exit), `GET /metrics`, and `/prestop`, which starts the shutdown and
 * answers only once the drain is over so a Kubernetes preStop hook can block on it. Its own
 * traffic is never counted as the app's, and it does not keep the process alive.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      server.unref();
      resolve(server);
    });
  });
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
