/**
 * Every connection shape, with real clients no one here wrote: busy keep-alive clients (wrk, an
 * undici Pool), WebSockets (`ws`), Server-Sent Events (curl), silent and half-sent sockets, a
 * server that listens after the shutdown began, readiness before listening, Fastify's onClose.
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConnectionTracker } from '../src/discovery.js';
import { Readiness, readinessBody } from '../src/readiness.js';
import { FIXTURES, get, sleep, startApp, stopAll, type App } from './helpers/app.js';

const APP = path.join(FIXTURES, 'connections-app.mjs');
const RUNS = 5;
afterEach(stopAll);

/** Runs wrk -c20 for `seconds`; resolves with its socket error counts. */
async function wrk(port: number, seconds: number): Promise<{ requests: number; read: number; timeout: number; non2xx: number }> {
  const { stdout } = await promisify(execFile)('wrk', ['-t2', '-c20', `-d${seconds}s`, `http://127.0.0.1:${port}/`], { timeout: (seconds + 20) * 1000 });
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1]),
    read: Number(errors?.[2] ?? 0),
    timeout: Number(errors?.[4] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

/**
 * An undici Pool of 20 connections, 20 loops sending GETs back to back until `stop`. A refused
 * connection was never written to; any other error lost a request the client had written.
 */
async function undiciLoad(port: number, stop: AbortSignal): Promise<{ ok: number; refused: number; lost: string[] }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 20 });
  const counts = { ok: 0, refused: 0, lost: [] as string[] };
  const until = performance.now() + 10_000;
  const loop = async (): Promise<void> => {
    while (!stop.aborted && performance.now() < until) {
      try {
        const response = await pool.request({ path: '/', method: 'GET' });
        await response.body.text();
        if (response.statusCode === 200) counts.ok++;
        else counts.lost.push(`status ${response.statusCode}`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        if (code === 'ECONNREFUSED') {
          counts.refused++;
          return;
        }
        counts.lost.push(code);
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, loop));
  await pool.destroy();
  return counts;
}

describe('busy keep-alive clients, no load balancer, default settings', () => {
  it(`wrk -c20, SIGTERM mid-load, ${RUNS} runs: no request written and then lost, drain clean, exit 0`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const app = await startApp(APP);
      const load = wrk(app.port, 2);
      await sleep(800);
      app.signal('SIGTERM');
      const [result, exit] = await Promise.all([load, app.exited]);
      expect({ run, ...result, exit: exit.code }).toEqual({ run, requests: result.requests, read: 0, timeout: 0, non2xx: 0, exit: 0 });
      expect(result.requests).toBeGreaterThan(100);
      expect(app.summary()?.drain).toMatchObject({ outcome: 'clean' });
    }
  }, 60_000);

  it(`undici Pool of 20, SIGTERM mid-load, ${RUNS} runs: no request written and then lost`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const app = await startApp(APP);
      const stop = new AbortController();
      const load = undiciLoad(app.port, stop.signal);
      await sleep(800);
      app.signal('SIGTERM');
      const exit = await app.exited;
      stop.abort();
      const result = await load;
      expect({ run, lost: result.lost, exit: exit.code }).toEqual({ run, lost: [], exit: 0 });
      expect(result.ok).toBeGreaterThan(100);
    }
  }, 60_000);
});

/** curl following an SSE stream: exit 0 when the stream ended cleanly, 18 when cut ("transfer closed"). */
function curlStream(url: string): { done: Promise<{ code: number | null }> } {
  const child = spawn('curl', ['-sSN', '--max-time', '10', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  return { done: new Promise((resolve) => child.once('close', (code) => resolve({ code }))) };
}

describe('WebSockets and Server-Sent Events go away', () => {
  async function connectAll(app: App): Promise<{ closes: Promise<number[]>; streams: Promise<{ code: number | null }[]> }> {
    const sockets = Array.from({ length: 20 }, () => new WebSocket(`ws://127.0.0.1:${app.port}/`));
    const closes = Promise.all(
      sockets.map((socket) => new Promise<number>((resolve) => {
        socket.on('error', () => {});
        socket.once('close', (code) => resolve(code));
      })),
    );
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('open', resolve))));
    const streams = Promise.all(Array.from({ length: 5 }, () => curlStream(`http://127.0.0.1:${app.port}/sse`).done));
    await app.received(5);
    return { closes, streams };
  }

  it('20 ws clients get close code 1001, 5 curl SSE streams end cleanly, exit 0 within 2 s', async () => {
    const app = await startApp(APP);
    const { closes, streams } = await connectAll(app);
    app.signal('SIGTERM');
    const [codes, ended, exit] = await Promise.all([closes, streams, app.exited]);
    expect(codes).toEqual(Array(20).fill(1001));
    expect(ended.map((s) => s.code)).toEqual(Array(5).fill(0));
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(2000);
    expect(app.summary()?.forced).toMatchObject({ request: 0, connection: 0 });
    expect(app.logs().find((l) => l.event === 'shutdown.going_away')).toMatchObject({ websockets: 20, event_streams: 5 });
  }, 30_000);

  it('GRACEFUL_OTEL_GOING_AWAY=off leaves them to the app: they are cut at the drain deadline', async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_GOING_AWAY: 'off', GRACEFUL_OTEL_DRAIN_TIMEOUT: '1s' } });
    const { closes } = await connectAll(app);
    app.signal('SIGTERM');
    const [codes, exit] = await Promise.all([closes, app.exited]);
    expect(codes).toEqual(Array(20).fill(1006));
    expect(exit.code).toBe(1);
  }, 30_000);
});

describe('sockets that never sent a whole request', () => {
  it('a silent socket and a half-sent request: exit 0 within 1 s with default settings', async () => {
    const app = await startApp(APP);
    const silent = net.connect(app.port, '127.0.0.1');
    const half = net.connect(app.port, '127.0.0.1', () => half.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    for (const socket of [silent, half]) socket.on('error', () => {});
    await Promise.all([silent, half].map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    // Accepts are taken in order: once a later connection is answered, both were accepted.
    expect((await get(app.port, '/', false)).status).toBe(200);
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(1000);
    expect(app.logs().find((l) => l.event === 'shutdown.started')?.connections).toBe(2);
  }, 20_000);

  it('a server that starts listening after the shutdown began is closed at once', async () => {
    const app = await startApp(APP, { env: { LATE_SERVER: '1', GRACEFUL_OTEL_DRAIN_DELAY: '0' } });
    const slow = get(app.port, '/?delay=800');
    await app.received();
    app.signal('SIGTERM');
    const line = await app.waitFor((l) => l.includes('"msg":"late server"'), 5000, 'the late server');
    expect(JSON.parse(line)).toMatchObject({ listening: false });
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.status).toBe(200);
    expect(exit.code).toBe(0);
  }, 20_000);
});

describe('a short grace period', () => {
  it('GRACEFUL_OTEL_GRACE_PERIOD=10s alone: a 6 s request in flight gets 200, exit 0', async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_GRACE_PERIOD: '10s' } });
    const slow = get(app.port, '/?delay=6000');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.status).toBe(200);
    expect(exit.code).toBe(0);
  }, 20_000);
});

describe('readiness', () => {
  it('/readyz is 503 before the app listens, 200 after; a failing app check turns it 503', async () => {
    const file = path.join(os.tmpdir(), `graceful-otel-ready-${process.pid}`);
    writeFileSync(file, '');
    const app = await startApp(APP, {
      // Under the preload alone there is no health server before the app listens (it activates at
      // listen); start() in code brings it up early, and /readyz must not pass then.
      env: { LISTEN_AFTER_MS: '1500', READY_FILE: file, GRACEFUL_OTEL_HEALTH_PORT: '0', START_EARLY: '1' },
      waitListening: false,
    });
    const readyz = (): Promise<{ status?: number; body?: string }> => get(app.healthPort, '/readyz', false);
    expect(await readyz()).toMatchObject({ status: 503, body: 'starting\nfile: ok\n' });
    await app.waitFor((l) => l.includes('"msg":"listening"'), 10_000, 'the app to listen');
    expect(await readyz()).toMatchObject({ status: 200, body: 'ready\nfile: ok\n' });
    rmSync(file);
    expect(await readyz()).toMatchObject({ status: 503, body: 'not ready\nfile: failed (returned false)\n' });
  }, 20_000);
});

describe('readiness holds and checks', () => {
  /** A Readiness whose app has listened (a tracker with one listening server). */
  function listened(): Readiness {
    const tracker = new ConnectionTracker();
    tracker.servers.add({ server: { listening: true } } as never);
    return new Readiness(tracker);
  }

  it('a hold keeps it 503 until released; holds nest', async () => {
    const readiness = listened();
    const releaseA = readiness.hold('warming the cache');
    const releaseB = readiness.hold('migrating');
    expect(readinessBody(await readiness.evaluate(false))).toBe('not ready\nhold: failed (warming the cache)\nhold: failed (migrating)\n');
    releaseA();
    expect(readiness.isReady(false)).toBe(false);
    releaseB();
    expect(await readiness.evaluate(false)).toMatchObject({ ready: true, state: 'ready' });
  });

  it('a check that throws, returns false or outlives its timeout fails; its signal aborts at the timeout', async () => {
    const readiness = listened();
    let aborted = false;
    readiness.addCheck('slow', (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve((aborted = true)))), { timeout: '50ms' });
    const remove = readiness.addCheck('db', () => {
      throw new Error('connection refused');
    });
    const report = await readiness.evaluate(false);
    expect(readinessBody(report)).toBe('not ready\nslow: failed (timeout after 50ms)\ndb: failed (connection refused)\n');
    expect(aborted).toBe(true);
    expect(readiness.isReady(false)).toBe(false);
    remove();
    expect(() => readiness.addCheck('bad', () => true, { timeout: 'soon' })).toThrow(/timeout "soon" is not a duration/);
  });

  it('shutting down wins over everything', async () => {
    expect(await listened().evaluate(true)).toEqual({ ready: false, state: 'shutting down', results: [] });
  });
});

describe('framework shutdown hooks', () => {
  it("a Fastify app's onClose hook runs once, after the drain, with no code change", async () => {
    const app = await startApp(path.join(FIXTURES, 'fastify-app.mjs'));
    const slow = get(app.port, '/?delay=600');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.status).toBe(200);
    expect(exit.code).toBe(0);
    const lines = app.stdout.map((l) => JSON.parse(l) as { msg: string });
    expect(lines.filter((l) => l.msg === 'onClose')).toHaveLength(1);
    expect(lines.findIndex((l) => l.msg === 'responded')).toBeLessThan(lines.findIndex((l) => l.msg === 'onClose'));
    expect(app.summary()?.hooks).toEqual([expect.objectContaining({ name: 'fastify', outcome: 'ok' })]);
  }, 20_000);
});
