/**
 * The warm-up after the first listen: pino (graceful-otel's logger) and prom-client (for the health
 * port's /metrics) load a module per event-loop turn, 2.5 s after listening. An idle server has no
 * I/O to wake its loop: the chain of turns must still run to the end, so the shutdown finds them
 * loaded rather than loading them while the grace period runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, get, sleep, startApp, stopAll, type LogLine } from './helpers/app.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-warm-up-'));
afterEach(stopAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The probe's `index`th note, once written (bounded wait). */
async function noteOf(file: string, index = 0): Promise<{ pino: boolean; promClient: boolean }> {
  const notes = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  for (let i = 0; i < 100 && notes().length <= index; i++) await sleep(100);
  return JSON.parse(notes()[index] ?? 'null') as { pino: boolean; promClient: boolean };
}

describe('the warm-up after the first listen', () => {
  it('loads pino and prom-client in an idle server before any shutdown, and not before 2.5 s', async () => {
    const probe = path.join(FIXTURES, 'warm-up-probe.cjs');
    const started = Date.now();
    const [early, late] = await Promise.all(
      ['1500', '4500'].map((ms) =>
        startApp(probe, { env: { GRACEFUL_OTEL_HEALTH_PORT: '0', CHECK_AFTER_MS: ms, NOTES: path.join(dir, ms) }, waitHealth: false }),
      ),
    );
    // The health server's line (info) does not load pino while the app starts serving...
    expect(await noteOf(path.join(dir, '1500'))).toEqual({ pino: false, promClient: false });
    // A shutdown before the warm-up writes the kept line, first.
    early.signal('SIGTERM');
    expect((await early.exited).code).toBe(0);
    expect(early.logs()[0]?.event).toBe('health.listening');
    expect(await noteOf(path.join(dir, '4500'))).toEqual({ pino: true, promClient: true });
    // ...it is written after the warm-up, with the time it was logged.
    const health = late.logs().find((line) => line.event === 'health.listening');
    expect(health?.time).toBeGreaterThanOrEqual(started);
    expect(health?.time).toBeLessThan(started + 2000);
    late.signal('SIGTERM');
    expect((await late.exited).code).toBe(0);
  });

  it('an app that exits on its own before the warm-up still gets the lines that waited', async () => {
    const app = await startApp(path.join(FIXTURES, 'warm-up-probe.cjs'), { env: { GRACEFUL_OTEL_HEALTH_PORT: '0', EXIT_AFTER_MS: '300' }, waitHealth: false });
    expect((await app.exited).code).toBe(3);
    expect(app.logs().map((line) => line.event)).toEqual(['health.listening']);
  });

  it('at level warn loads no pino in an idle server (no line waits for it); a warning loads it when written', async () => {
    const warn = { GRACEFUL_OTEL_LOG_LEVEL: 'warn' };
    const [idle, busy] = await Promise.all([
      startApp(path.join(FIXTURES, 'warm-up-probe.cjs'), {
        env: { ...warn, GRACEFUL_OTEL_HEALTH_PORT: '0', CHECK_AFTER_MS: '4500', NOTES: path.join(dir, 'warn'), NOTE_AT_EXIT: '1' },
        waitHealth: false,
      }),
      startApp(path.join(FIXTURES, 'app.mjs'), { env: warn }),
    ]);
    // A repeated SIGTERM during the drain is a warning: pino loads in the shutdown and writes it.
    const slow = get(busy.port, '/?delay=1200');
    await busy.received();
    busy.signal('SIGTERM');
    await sleep(300);
    busy.signal('SIGTERM');
    const [result, busyExit] = await Promise.all([slow, busy.exited]);
    expect(result.status).toBe(200);
    expect(busyExit.code).toBe(0);
    expect(busy.logs().map((line) => line.msg)).toEqual(['repeated SIGTERM ignored: shutdown already in progress']);
    // prom-client still warms up for the health port's /metrics.
    expect(await noteOf(path.join(dir, 'warn'))).toEqual({ pino: false, promClient: true });
    // A clean shutdown writes no line at warn: it does not load pino either.
    idle.signal('SIGTERM');
    expect((await idle.exited).code).toBe(0);
    expect(idle.logs()).toEqual([]);
    expect(await noteOf(path.join(dir, 'warn'), 1)).toEqual({ pino: false, promClient: true });
  });

  it('rehearses the sequence once, 3 s after listening, on a context of its own: the app serves on, ready, and the real shutdown runs whole', async () => {
    const app = await startApp(path.join(FIXTURES, 'app.mjs'), { env: { GRACEFUL_OTEL_LOG_LEVEL: 'debug', GRACEFUL_OTEL_HEALTH_PORT: '0' } });
    const rehearsed = (): LogLine[] => app.logs().filter((line) => line.event === 'shutdown.rehearsed');
    for (let i = 0; i < 80 && rehearsed().length === 0; i++) await sleep(100);
    expect(rehearsed()).toHaveLength(1);
    expect(rehearsed()[0]?.level).toBe(20);
    // Nothing of the app or the engine changed: it serves, it is ready, and no shutdown line was written.
    expect((await get(app.port, '/')).status).toBe(200);
    expect((await get(app.healthPort, '/readyz')).status).toBe(200);
    expect(app.logs().filter((line) => String(line.event).startsWith('shutdown.') && line.event !== 'shutdown.rehearsed')).toEqual([]);
    // The logger's own rehearsal line goes nowhere.
    expect(app.logs().filter((line) => line.event === 'log.rehearsed')).toEqual([]);
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    const events = app.logs().map((line) => line.event);
    expect(events.filter((event) => event === 'shutdown.started')).toHaveLength(1);
    expect(events.filter((event) => event === 'phase.started')).toEqual(['phase.started', 'phase.started', 'phase.started']);
    expect(app.logs().find((line) => line.event === 'shutdown.summary')?.exit_code).toBe(0);
    expect(rehearsed()).toHaveLength(1);
  });
});
