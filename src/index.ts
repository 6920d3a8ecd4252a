/**
 * graceful-otel's programmatic API. The preload (`graceful-otel/register`) and this API share one
 * engine: calling {@link start} under the preload merges options into it instead of installing
 * twice.
 */
import type http from 'node:http';
import type { Server } from 'node:net';
import { getEngine, type Engine } from './engine.js';
import { readinessBody } from './readiness.js';
import { createTelemetry } from './telemetry/index.js';
import type { GracefulOptions, HookOptions, ReadinessCheck, ReadinessCheckOptions, ServerSnapshot, ShutdownHook, WorkToken } from './types.js';

export { ConfigError } from './config.js';
export type { ShutdownSummary, HookResult, HookOutcome, FlushResult, DrainOutcome } from './observer.js';
export type * from './types.js';

function engine(): Engine {
  return getEngine(createTelemetry);
}

/**
 * Installs graceful shutdown: watches HTTP servers, listens for the configured signals, starts the
 * health server. Options win over `GRACEFUL_OTEL_*` variables. Safe to call again (options merge).
 * @throws {ConfigError} naming each invalid setting, its value and what is accepted.
 * @returns a promise that resolves once the health server (if any) listens.
 */
export function start(options: GracefulOptions = {}): Promise<void> {
  return engine().start(options);
}

/** Watches a server the preload cannot see by itself (one that listened before it was loaded). */
export function addServer(server: Server): void {
  engine().addServer(server);
}

/**
 * Registers a cleanup hook, run after the drain in ascending `order`, each with its own timeout
 * inside the hooks budget. A hook that throws or hangs is recorded and the sequence goes on.
 * @returns a function that unregisters the hook.
 */
export function onShutdown(name: string, fn: ShutdownHook, options?: HookOptions): () => void {
  return engine().hooks.add(name, fn, options);
}

/** Counts a promise as in-flight work: the drain waits for it like for a request. */
export function track<T>(promise: PromiseLike<T>): PromiseLike<T> {
  return engine().work.track(promise);
}

/** Counts a unit of non-HTTP work until `token.end()`: the drain waits for it like for a request. */
export function beginWork(): WorkToken {
  return engine().work.begin();
}

/** Aborts when the shutdown starts: stop polling, stop taking jobs. */
export const shutdownSignal: AbortSignal = engine().shutdownController.signal;

/** Aborts when the drain deadline passes: cancel what is still running. */
export const deadlineSignal: AbortSignal = engine().deadlineController.signal;

/**
 * Ready as far as known without running the checks: false until the app's first server listens,
 * while readiness is held, after a probe saw a check fail, and from the first moment of shutdown.
 */
export function isReady(): boolean {
  const e = engine();
  return e.readiness.isReady(!e.ready);
}

/**
 * Holds readiness back (`/readyz` answers 503) until the returned function is called: warm a
 * cache, wait for a migration. Holds nest; each is released on its own.
 * @param reason shown on `/readyz` while held.
 */
export function holdReadiness(reason: string): () => void {
  return engine().readiness.hold(reason);
}

/**
 * Adds a check run on every readiness probe, concurrently with the others, within its timeout
 * (default 1 s). It fails by throwing, rejecting, returning `false` or timing out; `/readyz` then
 * answers 503 and names it.
 * @returns a function that removes the check.
 */
export function addReadinessCheck(name: string, check: ReadinessCheck, options?: ReadinessCheckOptions): () => void {
  return engine().readiness.addCheck(name, check, options);
}

/** A readiness route for the app's own server: the same answer as the health server's `/readyz`. */
export function readinessHandler(_request: http.IncomingMessage, response: http.ServerResponse): void {
  const e = engine();
  void e.readiness.evaluate(!e.ready).then((report) => {
    response.writeHead(report.ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    response.end(readinessBody(report));
  });
}

/** Starts the shutdown sequence now (or joins the running one); resolves when the drain is over. */
export function shutdown(): Promise<void> {
  return engine().shutdown('api');
}

/** Live counters of every watched server. */
export function servers(): ServerSnapshot[] {
  return [...engine().tracker.servers].map((s) => s.snapshot());
}
