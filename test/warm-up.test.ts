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
import { FIXTURES, sleep, startApp, stopAll } from './helpers/app.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-warm-up-'));
afterEach(stopAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The probe's note, once written (bounded wait). */
async function noteOf(file: string): Promise<{ pino: boolean; promClient: boolean }> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(100);
  return JSON.parse(readFileSync(file, 'utf8')) as { pino: boolean; promClient: boolean };
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
});
