/**
 * Process shapes: the preload arrives through NODE_OPTIONS, as in a container image, so every Node
 * process carries it — the app, a wrapper that launches it, a preStop hook's `node -e`, a cluster
 * primary and its workers. Only the processes that serve are touched; a crash is told and flushed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
// @ts-expect-error plain JS module shared with the demo
import { startOtlpReceiver } from '../examples/lib/otlp-receiver.mjs';
import type { Receiver } from './helpers/otlp.js';
import { EXAMPLES, FIXTURES, LoadBalancerAgent, OUT_OF_ROTATION, ROOT, get, keepAliveLoad, sleep, startApp, stopAll } from './helpers/app.js';

const NODE_OPTIONS = '--import graceful-otel/register';
const APP = path.join(FIXTURES, 'app.mjs');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-shapes-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(stopAll);

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node args` to its end with `env` (plus PATH/HOME), optionally signalling it once `ready` prints. */
function runNode(args: string[], env: Record<string, string>, options: { signalOn?: string; signal?: NodeJS.Signals } = {}): Promise<Ran> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    if (options.signalOn !== undefined && stdout.includes(options.signalOn)) {
      options.signalOn = undefined;
      child.kill(options.signal ?? 'SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - started })));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('a process that carries the preload but never serves', () => {
  const script = `
    console.log(JSON.stringify({ sigterm: process.listenerCount('SIGTERM'), sigint: process.listenerCount('SIGINT'),
      uncaught: process.listenerCount('uncaughtException'), engine: globalThis[Symbol.for('graceful-otel.engine.v1')] !== undefined }));
    process.exitCode = 3;`;

  it('is untouched: no listener, no port, no line, its own exit code', async () => {
    const port = await freePort();
    const env = { NODE_OPTIONS, GRACEFUL_OTEL_HEALTH_PORT: String(port), GRACEFUL_OTEL_HEALTH_HOST: '127.0.0.1' };
    const ran = await runNode(['-e', script], env);
    expect(ran.code).toBe(3);
    expect(JSON.parse(ran.stdout)).toEqual({ sigterm: 0, sigint: 0, uncaught: 0, engine: false });
    expect(ran.stderr).toBe('');
    // The health port was never bound: a server of ours can take it now.
    await expect(freePort().then(() => new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    }))).resolves.toBeUndefined();
  });

  it('dies of SIGTERM as it would without the preload', async () => {
    const ran = await runNode(['-e', 'console.log("up"); setInterval(() => {}, 1000)'], { NODE_OPTIONS }, { signalOn: 'up' });
    expect(ran.signal).toBe('SIGTERM');
    expect(ran.stderr).toBe('');
  });

  it('is not stopped by an invalid configuration; a process that serves is, before it serves', async () => {
    const env = { NODE_OPTIONS, GRACEFUL_OTEL_GRACE_PERIOD: 'soon' };
    const idle = await runNode(['-e', 'console.log("done")'], env);
    expect(idle.code).toBe(0);
    expect(idle.stderr).toBe('');
    const serving = await runNode(['-e', "require('node:http').createServer().listen(0, '127.0.0.1', () => console.log('SERVING'))"], env);
    expect(serving.code).toBe(78);
    expect(serving.stderr).toContain('GRACEFUL_OTEL_GRACE_PERIOD="soon" is invalid');
    expect(serving.stdout).not.toContain('SERVING');
  });
});

describe('a preStop exec hook that carries the preload too', () => {
  it('runs the shipped manifest\'s command: it returns 0 only after the in-flight request got 200', async () => {
    const manifest = readFileSync(path.join(EXAMPLES, 'kubernetes/deployment.yaml'), 'utf8');
    const deployment = parseAllDocuments(manifest).map((d) => d.toJS()).find((d) => d?.kind === 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const command = container.lifecycle.preStop.exec.command as string[];
    const manifestPort = container.env.find((e: { name: string }) => e.name === 'GRACEFUL_OTEL_HEALTH_PORT').value as string;
    expect(command[0]).toBe('node');

    const port = String(await freePort());
    const env = { NODE_OPTIONS, GRACEFUL_OTEL_HEALTH_PORT: port, GRACEFUL_OTEL_GRACE_PERIOD: '20s' };
    const app = await startApp(APP, { preload: 'none', env });
    const slow = get(app.port, '/?delay=2000').then((r) => ({ ...r, at: performance.now() }));
    await app.received();
    // The hook runs with the container's environment, preload included, on the manifest's port.
    const hook = await runNode(command.slice(1).map((arg) => arg.replaceAll(manifestPort, port)), env);
    const hookEnded = performance.now();
    const answered = await slow;
    expect(hook.code).toBe(0);
    expect(hook.stderr).toBe('');
    expect(answered.status).toBe(200);
    expect(answered.at).toBeLessThanOrEqual(hookEnded);
    // Then the kubelet's SIGTERM: the shutdown is already running; it finishes with 0.
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    expect(app.summary()?.trigger).toBe('prestop');
  });
});

describe('a wrapper that launches the app (npm, tsx, a launcher script)', () => {
  it('exits after its child, with the child\'s code, and writes no graceful-otel line of its own', async () => {
    const app = await startApp(path.join(FIXTURES, 'wrapper.cjs'), { preload: 'none', args: [APP], env: { NODE_OPTIONS } });
    const slow = get(app.port, '/?delay=1000');
    await app.received();
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect((await slow).status).toBe(200);
    expect(exit.code).toBe(0);
    // Only the app's process wrote graceful-otel lines: every one carries the child's pid.
    const pids = new Set(app.logs().map((l) => l.pid));
    expect(pids.size).toBe(1);
    expect(pids.has(app.child.pid)).toBe(false);
    const childExit = app.stdout.map((l) => (l.includes('wrapper: child exited') ? JSON.parse(l) : undefined)).find(Boolean);
    expect(childExit).toEqual({ msg: 'wrapper: child exited', code: 0, signal: null });
  });
});

describe('node:cluster under NODE_OPTIONS', () => {
  it.each([
    ['SIGTERM', { REFORK: '0' }],
    ['SIGTERM', { REFORK: '1', OWN_SIGTERM: 'exit' }],
    ['SIGINT', { REFORK: '0' }],
  ])('%s to the primary (%o): workers drain, the slow request gets 200, nothing written is lost, exit 0', async (signal, appEnv) => {
    const port = String(await freePort());
    const app = await startApp(path.join(FIXTURES, 'cluster-app.cjs'), {
      preload: 'none',
      env: { NODE_OPTIONS, GRACEFUL_OTEL_DRAIN_DELAY: '300ms', GRACEFUL_OTEL_GRACE_PERIOD: '20s', GRACEFUL_OTEL_HEALTH_PORT: port, ...appEnv },
    });
    expect((await get(Number(port), '/readyz')).status).toBe(200);
    // Clients through a load balancer that checks the primary's /readyz: once it fails, no new
    // connection is opened, and established keep-alive ones are used until the workers close them.
    // (Direct clients that reconnect in a storm can land in the primary's accept queue in the
    // instant it closes: the kernel resets those; see README, Deploying.)
    const balancer = new LoadBalancerAgent({ keepAlive: true, maxSockets: 8 });
    balancer.watchReadiness(Number(port));
    const stop = new AbortController();
    const load = keepAliveLoad(app.port, { concurrency: 8, path: '/?delay=10', stop: stop.signal, maxMs: 10_000, agent: balancer });
    const slow = get(app.port, '/?delay=2000');
    await app.received();
    app.signal(signal as NodeJS.Signals);
    await sleep(100);
    // Readiness answers from one place, the primary, and has flipped at once.
    expect((await get(Number(port), '/readyz')).status).toBe(503);
    const exit = await app.exited;
    stop.abort();
    const results = await load;
    expect(exit.code).toBe(0);
    expect((await slow).status).toBe(200);
    expect(results.filter((r) => r.answered).length).toBeGreaterThan(20);
    balancer.destroy();
    // Refused connections, or ones the balancer did not open, were never written; anything else is a request lost.
    expect(results.filter((r) => r.error !== undefined && r.error !== 'ECONNREFUSED' && r.error !== OUT_OF_ROTATION)).toEqual([]);
    // Keep-alive connections were still in use after readiness failed.
    expect(results.filter((r) => r.connection === 'close' && r.status === 200).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.answered && r.status !== 200)).toEqual([]);
    const summaries = app.logs().filter((l) => l.event === 'shutdown.summary');
    const primary = summaries.find((l) => l.pid === app.child.pid);
    expect(primary?.exit_code).toBe(0);
    const workers = summaries.filter((l) => l.pid !== app.child.pid);
    expect(workers.length).toBeGreaterThanOrEqual(2);
    for (const worker of workers) expect(worker).toMatchObject({ exit_code: 0, drain: { outcome: 'clean' } });
    expect(app.stderr.join('\n')).not.toContain('EADDRINUSE');
  });
});

describe('a crash: an uncaught exception or unhandled rejection', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it.each(['exception', 'rejection'])('%s from a timer: exit 1, the stack logged, the exception on a span, every pino line on disk', async (kind) => {
    receiver.spans.length = 0;
    const logFile = path.join(dir, `crash-${kind}.log`);
    const app = await startApp(path.join(FIXTURES, 'crash-app.mjs'), {
      env: {
        LOG_FILE: logFile,
        LINES: '5000',
        CRASH: kind,
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'crash-test',
      },
    });
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    const message = kind === 'exception' ? 'crashed on purpose' : 'rejected on purpose';
    const crashed = app.logs().find((l) => l.event === 'process.crashed');
    expect(crashed).toMatchObject({ origin: kind === 'exception' ? 'uncaughtException' : 'unhandledRejection' });
    expect((crashed?.err as { stack: string }).stack).toContain(message);
    expect((crashed?.err as { stack: string }).stack).toContain('crash-app.mjs');
    // Written to stderr as Node would, too.
    expect(app.stderr.some((l) => l.includes(message) && !l.startsWith('{'))).toBe(true);
    const summary = app.summary();
    expect(summary?.exit_code).toBe(1);
    const root = receiver.spans.find((s) => s.name === 'graceful.shutdown');
    expect(root).toBeDefined();
    const exception = root?.events.find((e) => e.name === 'exception');
    expect(exception?.attributes['exception.message']).toBe(message);
    expect(String(exception?.attributes['exception.stacktrace'])).toContain('crash-app.mjs');
    expect(existsSync(logFile)).toBe(true);
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"line"'));
    expect(lines.length).toBe(5000);
  });

  it('an app with its own uncaughtException handler keeps full control', async () => {
    const script = `
      process.on('uncaughtException', (error) => { console.log('app handled ' + error.message); });
      require('node:http').createServer().listen(0, '127.0.0.1', () => {
        console.log('SERVING');
        setTimeout(() => { throw new Error('boom'); }, 10);
        setTimeout(() => { console.log('still alive'); process.exit(5); }, 200);
      });`;
    const ran = await runNode(['-e', script], { NODE_OPTIONS });
    expect(ran.stdout).toContain('app handled boom');
    expect(ran.stdout).toContain('still alive');
    expect(ran.code).toBe(5);
    expect(ran.stderr).not.toContain('process.crashed');
  });
});
