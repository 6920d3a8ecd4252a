/**
 * The drain's bookkeeping of sockets and requests, in a real child process with real clients:
 * a keep-alive socket whose response already went out ends right after that response, and a
 * request the client abandoned leaves nothing counted in flight.
 */
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, startApp, stopAll } from './helpers/app.js';

const APP = path.join(FIXTURES, 'app.mjs');
// A drain deadline far from the expected exit, so "ended at the deadline" cannot pass for "ended at once".
const LONG_DRAIN = { GRACEFUL_OTEL_GRACE_PERIOD: '20s', GRACEFUL_OTEL_DRAIN_TIMEOUT: '8s' };
const CLEAN = { request: 0, connection: 0, hook: 0, work: 0 };

afterEach(stopAll);

describe('drain', () => {
  it('a keep-alive response whose headers went out before SIGTERM: its socket ends right after it, not at the drain deadline', async () => {
    // keepAliveTimeout far beyond the drain: only graceful-otel can end the idle socket in time.
    const app = await startApp(APP, { env: { ...LONG_DRAIN, KEEP_ALIVE_TIMEOUT: '60000' } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = http.get({ host: '127.0.0.1', port: app.port, path: '/?delay=800&headers=first', agent });
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    // The headers are out: too late for Connection: close on this response.
    expect(response.headers.connection).toBe('keep-alive');
    const socket = response.socket;
    const socketClosed = once(socket, 'close').then(() => performance.now());
    app.signal('SIGTERM');

    let body = '';
    response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    await once(response, 'end');
    const endedAt = performance.now();
    const closedAt = await socketClosed;
    const exit = await app.exited;
    agent.destroy();

    expect(JSON.parse(body)).toEqual({ ok: true, delayMs: 800 });
    expect(closedAt - endedAt).toBeLessThan(1000);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(3000);
    const summary = app.summary();
    expect(summary?.connections_at_start).toBe(1);
    expect(summary?.forced).toEqual(CLEAN);
    expect((summary?.drain as { outcome: string }).outcome).toBe('clean');
  });

  it('a request the client aborted before SIGTERM leaves no phantom in flight: exit 0, promptly', async () => {
    const app = await startApp(APP, { env: LONG_DRAIN });
    const request = http.get({ host: '127.0.0.1', port: app.port, path: '/hang', agent: false });
    request.on('error', () => {});
    await app.received();
    request.destroy();
    // The app saw its response close unfinished: the abort has reached the server.
    await app.waitFor((line) => line.includes('"msg":"aborted"'), 10_000, 'the app to see the abort');
    app.signal('SIGTERM');
    const exit = await app.exited;

    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(3000);
    const summary = app.summary();
    expect(summary?.inflight_at_start).toBe(0);
    expect(summary?.connections_at_start).toBe(0);
    expect(summary?.forced).toEqual(CLEAN);
    expect((summary?.drain as { outcome: string }).outcome).toBe('clean');
  });
});
