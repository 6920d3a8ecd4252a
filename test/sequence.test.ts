/**
 * Acceptance of the shutdown sequence, in real child processes with real signals and sockets:
 * deadlines, hooks, readiness and delay, repeated signals, adopted listeners, tracked work,
 * upgraded sockets, the preStop endpoint, and an app whose timers would keep it alive.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, get, startApp, stopAll } from './helpers/app.js';

const APP = path.join(FIXTURES, 'app.mjs');
let dir: string;
let notesFile: string;
const notes = (): string[] => (existsSync(notesFile) ? readFileSync(notesFile, 'utf8').trim().split('\n') : []);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-'));
  notesFile = path.join(dir, 'notes');
});
afterEach(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('deadlines', () => {
  it('destroys a hung request at the drain deadline, counts it, exits 1 within budget', async () => {
    const app = await startApp(APP, {
      env: { NOTES: notesFile, GRACEFUL_OTEL_GRACE_PERIOD: '6s', GRACEFUL_OTEL_DRAIN_TIMEOUT: '1s', GRACEFUL_OTEL_HOOKS_TIMEOUT: '1s', GRACEFUL_OTEL_FLUSH_TIMEOUT: '1s' },
    });
    const hung = get(app.port, '/hang');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([hung, app.exited]);
    expect(result.answered).toBe(false);
    expect(result.error).toMatch(/ECONNRESET|socket hang up/);
    expect(exit.code).toBe(1);
    expect(exit.ms).toBeGreaterThan(900);
    expect(exit.ms).toBeLessThan(5000);
    const summary = app.summary();
    expect(summary?.forced).toMatchObject({ request: 1, connection: 1 });
    expect((summary?.drain as { outcome: string }).outcome).toBe('forced');
    const deadline = app.logs().find((l) => l.event === 'drain.deadline');
    expect(deadline?.cancelled).toEqual([expect.objectContaining({ method: 'GET', path: '/hang' })]);
    expect(notes()).toEqual(['shutdownSignal', 'deadlineSignal']);
  });

  it('closes an upgraded (WebSocket-style) socket at the deadline and counts it', async () => {
    // GOING_AWAY=off: an app that manages its own upgraded sockets (connections.test.ts has the default).
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_GRACE_PERIOD: '10s', GRACEFUL_OTEL_DRAIN_TIMEOUT: '800ms', GRACEFUL_OTEL_GOING_AWAY: 'off' } });
    const socket = net.connect(app.port, '127.0.0.1');
    socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    app.signal('SIGTERM');
    // Still open during the drain: the upgraded socket echoes.
    socket.write('ping');
    const echo = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
    expect(echo).toBe('ping');
    const exit = await app.exited;
    await closed;
    expect(exit.code).toBe(1);
    expect(app.summary()?.forced).toMatchObject({ request: 0, connection: 1 });
  });

  it('waits for tracked non-HTTP work like for requests', async () => {
    const app = await startApp(APP, { env: { NOTES: notesFile } });
    expect((await get(app.port, '/work?ms=1200')).status).toBe(200);
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeGreaterThan(900);
    expect(notes()).toContain('work done');
    expect(app.summary()?.work_at_start).toBe(1);
  });

  it('a full stderr pipe (nobody reading) cannot push the exit past the budget', async () => {
    const child = spawn(process.execPath, ['--import', 'graceful-otel/register', path.join(FIXTURES, 'noisy-stderr.cjs')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, OTEL_SDK_DISABLED: 'true', GRACEFUL_OTEL_GRACE_PERIOD: '6s', GRACEFUL_OTEL_HOOKS_TIMEOUT: '1s', GRACEFUL_OTEL_FLUSH_TIMEOUT: '1s' },
    });
    child.stderr.pause(); // never read: the pipe fills up
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      let signalledAt = 0;
      child.stdout.once('data', () => {
        setTimeout(() => {
          signalledAt = performance.now();
          child.kill('SIGTERM');
        }, 300);
      });
      child.once('exit', (code) => resolve({ code, ms: performance.now() - signalledAt }));
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const exit = await exited;
    clearTimeout(killer);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(5000);
  });

  it('exits at the end of the sequence even when the app keeps timers alive', async () => {
    const app = await startApp(APP, { env: { KEEP_ALIVE_TIMER: '1' } });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(3000);
  });
});

describe('cleanup hooks', () => {
  it('runs hooks in order; a hung hook is cut at its timeout, a throwing one recorded', async () => {
    const app = await startApp(APP, {
      env: {
        NOTES: notesFile,
        HOOKS: 'first:ok,stuck:hang:500ms,broken:throw,last:ok',
        GRACEFUL_OTEL_GRACE_PERIOD: '8s',
        GRACEFUL_OTEL_HOOKS_TIMEOUT: '3s',
      },
    });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.ms).toBeLessThan(7000);
    const hooks = app.summary()?.hooks as { name: string; outcome: string; duration_ms: number; error?: string }[];
    expect(hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['first', 'ok'],
      ['stuck', 'timeout'],
      ['broken', 'error'],
      ['last', 'ok'],
    ]);
    expect(hooks[1]?.duration_ms).toBeGreaterThanOrEqual(450);
    expect(hooks[1]?.duration_ms).toBeLessThan(2000);
    expect(hooks[2]?.error).toContain('failed on purpose');
    expect(notes()).toEqual(expect.arrayContaining(['hook first ran', 'hook stuck aborted', 'hook last ran']));
    expect(app.summary()?.forced).toMatchObject({ hook: 1 });
  });

  it('runs hooks in ascending order, then in registration order, whatever order they were registered in', async () => {
    const app = await startApp(APP, {
      env: { NOTES: notesFile, HOOKS: 'late:ok::20,early:ok::-5,plain-a:ok,first:ok::-10,plain-b:ok,plain-c:ok::0' },
    });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    const expected = ['first', 'early', 'plain-a', 'plain-b', 'plain-c', 'late'];
    expect(notes()).toEqual(['shutdownSignal', ...expected.map((name) => `hook ${name} ran`)]);
    const hooks = app.summary()?.hooks as { name: string; outcome: string }[];
    expect(hooks.map((h) => [h.name, h.outcome])).toEqual(expected.map((name) => [name, 'ok']));
  });

  it('a hook that calls process.exit(3): the other hooks are skipped, the flush still runs, the process exits 3', async () => {
    const app = await startApp(APP, {
      env: { NOTES: notesFile, HOOKS: 'before:ok,quitter:exit=3,after:ok', GRACEFUL_OTEL_GRACE_PERIOD: '20s' },
    });
    app.signal('SIGTERM');
    const exit = await app.exited;
    // The README's exit-code table: n when the app called process.exit(n) (n ≠ 0) during the drain or hooks.
    expect(exit.code).toBe(3);
    expect(exit.ms).toBeLessThan(3000);
    expect(notes()).toEqual(['shutdownSignal', 'hook before ran', 'hook quitter calls process.exit(3)']);
    // The summary line is written during the flush: process.exit() did not skip it.
    const summary = app.summary();
    expect(summary?.exit_code).toBe(3);
    expect(summary?.cut_short).toBe('process.exit(3)');
    expect((summary?.hooks as { name: string }[]).map((h) => h.name)).toEqual(['before', 'quitter', 'after']);
  });

  it('a hook that hangs past the whole hooks budget cannot push the exit past the grace period', async () => {
    const app = await startApp(APP, {
      env: { HOOKS: 'stuck:hang:1m', GRACEFUL_OTEL_GRACE_PERIOD: '4s', GRACEFUL_OTEL_HOOKS_TIMEOUT: '1s', GRACEFUL_OTEL_FLUSH_TIMEOUT: '1s' },
    });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.ms).toBeLessThan(4000);
  });
});

describe('readiness, delay and the health server', () => {
  it('readyz turns 503 at once, livez stays 200, and the delay keeps serving with Connection: close', async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_HEALTH_PORT: '0', GRACEFUL_OTEL_DRAIN_DELAY: '1500ms' } });
    expect((await get(app.healthPort, '/readyz')).status).toBe(200);
    app.signal('SIGTERM');
    await app.waitForEvent('shutdown.started');
    const [ready, live] = await Promise.all([get(app.healthPort, '/readyz'), get(app.healthPort, '/livez')]);
    expect(ready.status).toBe(503);
    expect(live.status).toBe(200);
    // During the delay the app still serves new requests, telling clients to close.
    await app.waitForEvent('phase.started', undefined, { phase: 'delay' });
    const during = await get(app.port, '/');
    expect(during.status).toBe(200);
    expect(during.connection).toBe('close');
    expect((await get(app.healthPort, '/livez')).status).toBe(200);
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeGreaterThan(1400);
    expect((app.summary()?.phases_ms as Record<string, number>).delay).toBeGreaterThanOrEqual(1400);
  });

  it('the preStop endpoint starts the shutdown and answers only once the drain is over', async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_HEALTH_PORT: '0' } });
    const slow = get(app.port, '/?delay=1000');
    await app.received();
    const started = performance.now();
    const preStop = await get(app.healthPort, '/prestop');
    expect(preStop.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThan(800);
    expect((await slow).status).toBe(200);
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(app.summary()?.trigger).toBe('prestop');
  });

  it('probes are not counted as app traffic', async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_HEALTH_PORT: '0' } });
    await Promise.all(Array.from({ length: 5 }, () => get(app.healthPort, '/livez')));
    app.signal('SIGTERM');
    await app.exited;
    expect(app.summary()?.connections_at_start).toBe(0);
    expect(app.summary()?.inflight_at_start).toBe(0);
  });
});

describe('signals', () => {
  it('a repeated SIGTERM is logged and ignored', async () => {
    const app = await startApp(APP);
    const slow = get(app.port, '/?delay=1200');
    await app.received();
    app.signal('SIGTERM');
    await app.waitForEvent('shutdown.started');
    app.child.kill('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.status).toBe(200);
    expect(exit.code).toBe(0);
    expect(app.logs().some((l) => /repeated SIGTERM ignored/.test(l.msg))).toBe(true);
  });

  it('a second SIGINT skips the remaining waits and goes straight to flush and exit', async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_GRACE_PERIOD: '30s' } });
    const slow = get(app.port, '/?delay=20000');
    await app.received();
    app.signal('SIGINT');
    await app.waitForEvent('drain.started');
    app.child.kill('SIGINT');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.answered).toBe(false);
    expect(exit.code).toBe(1);
    expect(exit.ms).toBeLessThan(3000);
    expect(app.summary()?.cut_short).toBe('second SIGINT');
    expect(app.summary()?.forced).toMatchObject({ request: 1 });
  });

  it("adopts the app's own SIGTERM listener: it runs after the drain, and its process.exit() does not skip the flush", async () => {
    const app = await startApp(APP, { env: { NOTES: notesFile, OWN_SIGTERM: 'exit:0' } });
    const slow = get(app.port, '/?delay=800');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    // Without adoption, the app's listener would have exited at once and cut the slow request.
    expect(result.status).toBe(200);
    expect(exit.code).toBe(0);
    expect(notes()).toContain('app SIGTERM listener ran');
    const hooks = app.summary()?.hooks as { name: string; outcome: string }[];
    expect(hooks).toEqual([expect.objectContaining({ name: 'SIGTERM listener #1 (appSigterm)', outcome: 'ok' })]);
  });

  it('with @opentelemetry/auto-instrumentations-node/register also preloaded, SIGTERM drains, runs its handler, exits', async () => {
    const app = await startApp(APP, {
      nodeArgs: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
      env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    const slow = get(app.port, '/?delay=800');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.status).toBe(200);
    expect(exit.code).toBe(0);
    const hooks = app.summary()?.hooks as { name: string; outcome: string }[];
    expect(hooks.some((h) => h.name.startsWith('SIGTERM listener') && h.outcome === 'ok')).toBe(true);
  });

  it('control: the bare app (no preload) cuts the in-flight request on SIGTERM', async () => {
    const app = await startApp(APP, { preload: 'none' });
    const slow = get(app.port, '/?delay=1000');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.answered).toBe(false);
    expect(exit.signal).toBe('SIGTERM');
  });
});
