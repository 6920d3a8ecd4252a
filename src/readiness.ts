/**
 * Readiness beyond "not shutting down": not ready until the app's first server listens (so a new
 * instance is not sent traffic while it still starts), while the app holds readiness back, or
 * while one of its checks fails. Checks run on each probe, concurrently, each within its timeout.
 */
import type { ConnectionTracker } from './discovery.js';
import { parseDuration } from './duration.js';
import type { ReadinessCheck, ReadinessCheckOptions, ReadinessResult } from './types.js';

/** Default timeout of one readiness check. */
export const CHECK_TIMEOUT_MS = 1000;

interface RegisteredCheck {
  name: string;
  fn: ReadinessCheck;
  timeoutMs: number;
}

/** The answer to one probe. */
export interface ReadinessReport {
  ready: boolean;
  /** The first line of `/readyz`: `ready`, `shutting down`, `starting` or `not ready`. */
  state: 'ready' | 'shutting down' | 'starting' | 'not ready';
  results: ReadinessResult[];
}

export class Readiness {
  private listened = false;
  private readonly holds = new Map<symbol, string>();
  private readonly checks: RegisteredCheck[] = [];
  /** Outcome of the last probe's checks, for the synchronous {@link isReady}. */
  private checksPassed = true;

  /**
   * @param servesThroughWorkers true in a cluster primary: its workers listen, it never does, and
   * they only fork once it serves.
   */
  constructor(
    private readonly tracker: ConnectionTracker,
    private readonly servesThroughWorkers: () => boolean = () => false,
  ) {}

  /** True once a watched server has listened (and from then on). */
  hasListened(): boolean {
    if (!this.listened && this.servesThroughWorkers()) this.listened = true;
    if (!this.listened) for (const tracked of this.tracker.servers) if (tracked.server.listening) this.listened = true;
    return this.listened;
  }

  /** Holds readiness back until the returned function is called. */
  hold(reason: string): () => void {
    if (typeof reason !== 'string' || reason === '') throw new TypeError('holdReadiness(reason): reason must be a non-empty string');
    const key = Symbol(reason);
    this.holds.set(key, reason);
    return () => void this.holds.delete(key);
  }

  /** Adds a check run on every probe; returns a function that removes it. */
  addCheck(name: string, fn: ReadinessCheck, options: ReadinessCheckOptions = {}): () => void {
    if (typeof name !== 'string' || name === '') throw new TypeError('addReadinessCheck(name, fn): name must be a non-empty string');
    if (typeof fn !== 'function') throw new TypeError(`addReadinessCheck("${name}", fn): fn must be a function`);
    const timeoutMs = options.timeout === undefined ? CHECK_TIMEOUT_MS : typeof options.timeout === 'number' ? options.timeout : parseDuration(options.timeout);
    if (timeoutMs === undefined || !(timeoutMs > 0)) {
      throw new TypeError(`addReadinessCheck("${name}"): timeout ${JSON.stringify(options.timeout)} is not a duration above zero (250ms, 5s or milliseconds)`);
    }
    const check: RegisteredCheck = { name, fn, timeoutMs };
    this.checks.push(check);
    return () => {
      const at = this.checks.indexOf(check);
      if (at >= 0) this.checks.splice(at, 1);
    };
  }

  /** Ready by what is known without running the checks (their last outcome counts). */
  isReady(shuttingDown: boolean): boolean {
    return !shuttingDown && this.hasListened() && this.holds.size === 0 && this.checksPassed;
  }

  /** Runs every check and answers a probe. */
  async evaluate(shuttingDown: boolean): Promise<ReadinessReport> {
    const holds: ReadinessResult[] = [...this.holds.values()].map((reason) => ({ name: 'hold', ok: false, detail: reason }));
    if (shuttingDown) return { ready: false, state: 'shutting down', results: [] };
    const results = [...holds, ...(await Promise.all(this.checks.map(runCheck)))];
    this.checksPassed = results.every((r) => r.ok || r.name === 'hold');
    if (!this.hasListened()) return { ready: false, state: 'starting', results };
    const ready = results.every((r) => r.ok);
    return { ready, state: ready ? 'ready' : 'not ready', results };
  }
}

async function runCheck(check: RegisteredCheck): Promise<ReadinessResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('readiness check timed out'));
      resolve({ name: check.name, ok: false, detail: `timeout after ${check.timeoutMs}ms` });
    }, check.timeoutMs);
  });
  const run = (async (): Promise<ReadinessResult> => {
    try {
      const value = await check.fn(controller.signal);
      return value === false ? { name: check.name, ok: false, detail: 'returned false' } : { name: check.name, ok: true };
    } catch (error) {
      return { name: check.name, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The text of a `/readyz` answer: the state, then one line per hold or check. */
export function readinessBody(report: ReadinessReport): string {
  const lines: string[] = [report.state];
  for (const r of report.results) lines.push(r.ok ? `${r.name}: ok` : `${r.name}: failed (${r.detail ?? 'not ready'})`);
  return `${lines.join('\n')}\n`;
}
