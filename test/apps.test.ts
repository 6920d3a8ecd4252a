/**
 * Acceptance: example apps (plain http, express, fastify, koa; ESM and CJS) run unchanged under
 * the preload; under keep-alive load, SIGTERM: every request the app accepted completes with 2xx,
 * clients see `Connection: close`, and the process exits 0 well before the grace period.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES, FIXTURES, get, keepAliveLoad, startApp, stopAll } from './helpers/app.js';

afterEach(stopAll);

const apps = ['http.mjs', 'http.cjs', 'express.mjs', 'express.cjs', 'fastify.mjs', 'fastify.cjs', 'koa.mjs', 'koa.cjs'];

describe('example apps under keep-alive load', () => {
  it.each(apps)('%s drains cleanly on SIGTERM', async (file) => {
    const app = await startApp(path.join(EXAMPLES, file), {
      preload: file.endsWith('.cjs') ? 'require' : 'import',
      env: { GRACEFUL_OTEL_GRACE_PERIOD: '20s', GRACEFUL_OTEL_DRAIN_DELAY: '300ms' },
    });
    const stop = new AbortController();
    let answered200 = 0;
    let flowing: () => void = () => {};
    const loadFlowing = new Promise<void>((resolve) => (flowing = resolve));
    const load = keepAliveLoad(app.port, {
      concurrency: 8,
      path: '/?delay=20',
      stop: stop.signal,
      maxMs: 10_000,
      onResult: (result) => {
        if (result.status === 200 && ++answered200 >= 40) flowing();
      },
    });
    // SIGTERM lands under load: once the 8 keep-alive connections have served 40 requests.
    await Promise.race([loadFlowing, load.then(() => Promise.reject(new Error('the load ended before 40 requests were answered')))]);
    app.signal('SIGTERM');
    const exit = await app.exited;
    stop.abort();
    const results = await load;

    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(5000);
    const answered = results.filter((r) => r.answered);
    expect(answered.length).toBeGreaterThan(20);
    // Every request the app accepted completed with 2xx...
    expect(answered.filter((r) => r.status !== 200)).toEqual([]);
    expect(results.filter((r) => r.answered && r.error !== undefined)).toEqual([]);
    // ...and keep-alive clients were told to go elsewhere.
    expect(answered.some((r) => r.connection === 'close')).toBe(true);
    // Nothing the app had accepted was cut.
    const summary = app.summary();
    expect(summary?.forced).toEqual({ request: 0, connection: 0, hook: 0, work: 0 });
    expect(summary?.exit_code).toBe(0);
  });
});

describe('slow and idle connections', () => {
  it('a slow request in flight at SIGTERM completes during the drain', async () => {
    const app = await startApp(path.join(FIXTURES, 'app.mjs'));
    const slow = get(app.port, '/?delay=2000');
    await app.received();
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    expect(result.status).toBe(200);
    expect(result.connection).toBe('close');
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeGreaterThan(1500);
  });

  it('200 idle keep-alive sockets do not delay the exit', async () => {
    const app = await startApp(path.join(EXAMPLES, 'http.mjs'));
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
    const first = await Promise.all(Array.from({ length: 200 }, () => get(app.port, '/?delay=50', agent)));
    expect(first.every((r) => r.status === 200)).toBe(true);
    expect(Object.values(agent.freeSockets).flat().length).toBe(200);
    app.signal('SIGTERM');
    const exit = await app.exited;
    agent.destroy();
    expect(exit.code).toBe(0);
    // Node's keep-alive timeout is 5 s; an exit that waited for it would take that long.
    expect(exit.ms).toBeLessThan(2000);
    expect(app.summary()?.connections_at_start).toBe(200);
  });
});
