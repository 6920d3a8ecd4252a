/**
 * Test harness: runs an app in a real child process under the preload, talks to it over real
 * sockets, sends real signals, and reads graceful-otel's JSON log lines from its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES = path.join(ROOT, 'examples');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

export interface LogLine {
  level: number;
  msg: string;
  event?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the first signal sent (or from spawn when none was) to exit. */
  ms: number;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** How the preload is loaded; `none` runs the app bare. */
  preload?: 'import' | 'require' | 'none';
  nodeArgs?: string[];
  args?: string[];
  /** Wait for the app's `listening` line (default true). */
  waitListening?: boolean;
  /** Wait for the health server's port (default: when GRACEFUL_OTEL_HEALTH_PORT is set). */
  waitHealth?: boolean;
  cwd?: string;
}

export class App {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  port = 0;
  healthPort = 0;
  readonly exited: Promise<Exit>;
  private signalledAt: number | undefined;
  private readonly spawnedAt = performance.now();
  private waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    const onLines = (into: string[]) => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.onLine(into, line);
      };
    };
    child.stdout?.on('data', onLines(this.stdout));
    child.stderr?.on('data', onLines(this.stderr));
    this.exited = new Promise((resolve) => {
      let exitedAt = 0;
      child.once('exit', () => (exitedAt = performance.now()));
      // 'close' comes once the process exited and its pipes are drained: every line has been read.
      child.once('close', (code, signal) => {
        const from = this.signalledAt ?? this.spawnedAt;
        resolve({ code, signal, ms: (exitedAt || performance.now()) - from });
      });
    });
  }

  /** graceful-otel's own log lines (JSON with name graceful-otel) from stderr. */
  logs(): LogLine[] {
    return this.stderr.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as LogLine & { name?: string };
        return parsed.name === 'graceful-otel' ? [parsed] : [];
      } catch {
        return [];
      }
    });
  }

  /** The final summary line, once the app exited. */
  summary(): LogLine | undefined {
    return this.logs().find((l) => l.event === 'shutdown.summary');
  }

  signal(signal: NodeJS.Signals): void {
    this.signalledAt ??= performance.now();
    this.child.kill(signal);
  }

  /** Resolves when a line of stdout or stderr matches, or rejects after `ms`. */
  waitFor(test: (line: string) => boolean, ms = 15_000, what = 'line'): Promise<string> {
    return new Promise((resolve, reject) => {
      const hit = [...this.stdout, ...this.stderr].find(test);
      if (hit !== undefined) return resolve(hit);
      const output = (): string => `\nstdout:\n${this.stdout.slice(-50).join('\n')}\nstderr:\n${this.stderr.slice(-50).join('\n')}`;
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}${output()}`)), ms);
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(waiter);
      this.exited.then(() => {
        if (!this.waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`exited before ${what}${output()}`));
      });
    });
  }

  /** Waits until the app has printed `count` 'received' lines (fixtures print one per slow request). */
  received(count = 1): Promise<string> {
    let seen = 0;
    return this.waitFor((line) => line.includes('"msg":"received"') && ++seen >= count, 15_000, `${count} requests to arrive`);
  }

  /** Waits for a graceful-otel log event, optionally one whose fields match `where` (e.g. `{ phase: 'delay' }`). */
  async waitForEvent(event: string, ms?: number, where: Record<string, unknown> = {}): Promise<LogLine> {
    const matches = (line: string): boolean => {
      if (!line.includes(`"event":"${event}"`)) return false;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        return Object.entries(where).every(([key, value]) => parsed[key] === value);
      } catch {
        return false;
      }
    };
    const line = await this.waitFor(matches, ms, `event ${event} ${JSON.stringify(where)}`);
    return JSON.parse(line) as LogLine;
  }

  /** Kills the child if it is still running (test cleanup). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private onLine(into: string[], line: string): void {
    into.push(line);
    // Only the new line is tested: the rest was tested when it arrived.
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }
}

const running = new Set<App>();

/** Spawns `script` with the current Node (22 or 24), under the preload unless told otherwise. */
export async function startApp(script: string, options: StartOptions = {}): Promise<App> {
  const preload = options.preload ?? 'import';
  const preloadArgs =
    preload === 'import' ? ['--import', 'graceful-otel/register'] : preload === 'require' ? ['-r', 'graceful-otel/register'] : [];
  const child = spawn(process.execPath, [...preloadArgs, ...(options.nodeArgs ?? []), script, ...(options.args ?? [])], {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: '0',
      GRACEFUL_OTEL_HEALTH_HOST: '127.0.0.1',
      // No collector runs in most tests: the OTLP flush would retry until the flush deadline.
      OTEL_SDK_DISABLED: 'true',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const app = new App(child);
  running.add(app);
  app.exited.then(() => running.delete(app));
  if (options.waitListening ?? true) {
    const line = await app.waitFor((l) => l.includes('"msg":"listening"'), 20_000, 'the app to listen');
    app.port = (JSON.parse(line) as { port: number }).port;
  }
  const wantHealth = options.waitHealth ?? (options.env?.GRACEFUL_OTEL_HEALTH_PORT !== undefined);
  if (wantHealth) {
    const health = await app.waitForEvent('health.listening', 20_000);
    app.healthPort = health.port as number;
  }
  return app;
}

/** Kills every child still running; for afterEach. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop()));
}

export interface Result {
  status?: number;
  connection?: string;
  body?: string;
  error?: string;
  /** True once response headers arrived. */
  answered: boolean;
}

/** One GET over `agent` (keep-alive when the agent says so). */
export function get(port: number, pathname: string, agent?: http.Agent | false, timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolve) => {
    let answered = false;
    const request = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (response) => {
      answered = true;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode, connection: String(response.headers.connection ?? ''), body, answered }),
      );
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, answered }));
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error('client timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, answered }));
  });
}

export interface LoadReport {
  results: Result[];
  /** Results whose request was sent after `markAt` was set. */
  afterMark: Result[];
}

/**
 * Keep-alive load: `concurrency` loops, each sending GETs one after another over a shared
 * keep-alive agent, until `stop` aborts or `maxRequests` are sent. Bounded in count and time.
 */
export async function keepAliveLoad(
  port: number,
  options: {
    concurrency: number;
    path?: string;
    stop: AbortSignal;
    maxRequests?: number;
    maxMs?: number;
    /** Called with every result as it comes. */
    onResult?: (result: Result) => void;
    /** The keep-alive agent to use (default: a new one with `concurrency` sockets). */
    agent?: http.Agent;
  },
): Promise<Result[]> {
  const agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const results: Result[] = [];
  const maxRequests = options.maxRequests ?? 50_000;
  const until = performance.now() + (options.maxMs ?? 20_000);
  let sent = 0;
  const loop = async (): Promise<void> => {
    while (!options.stop.aborted && sent < maxRequests && performance.now() < until) {
      sent++;
      const result = await get(port, options.path ?? '/', agent);
      results.push(result);
      options.onResult?.(result);
      // A refused connection means the listener is closed: this loop's target is gone.
      if (result.error === 'ECONNREFUSED' || result.error === OUT_OF_ROTATION) return;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  agent.destroy();
  return results;
}

/** The error of a connection a {@link LoadBalancerAgent} would not open: nothing was written. */
export const OUT_OF_ROTATION = 'OUT_OF_ROTATION';

/**
 * A keep-alive agent that behaves like a load balancer with active health checks: once the
 * instance's readiness fails it opens no new connection to it, and keeps sending on the ones it
 * has until the instance closes them.
 */
export class LoadBalancerAgent extends http.Agent {
  inRotation = true;
  private poller: NodeJS.Timeout | undefined;

  /** Checks `GET /readyz` on `healthPort` every `intervalMs`; takes the instance out at the first 503. */
  watchReadiness(healthPort: number, intervalMs = 50): void {
    this.poller = setInterval(() => {
      void get(healthPort, '/readyz', false, 1000).then((r) => {
        if (r.status === 503) this.inRotation = false;
      });
    }, intervalMs);
  }

  override createConnection(options: net.NetConnectOpts, callback?: (error: Error | null, socket: net.Socket) => void): net.Socket {
    if (this.inRotation) return net.createConnection(options);
    const socket = new net.Socket();
    process.nextTick(() => socket.destroy(Object.assign(new Error('out of rotation'), { code: OUT_OF_ROTATION })));
    void callback;
    return socket;
  }

  override destroy(): void {
    clearInterval(this.poller);
    super.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
