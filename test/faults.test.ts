/**
 * Fault injection (issue 12): each fault reproduced with real child processes, real signals, real
 * pipes, a full filesystem and blackholed exporters. Every test checks the exit lands inside the
 * budget, the exit code matches the README's table, the summary line is written, and each failure's
 * line names its cause.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, get, startApp, stopAll, type LogLine } from './helpers/app.js';

const APP = path.join(FIXTURES, 'faults/app.mjs');
afterEach(stopAll);

/** The summary line's hook outcomes, as `name:outcome`. */
const outcomes = (summary: LogLine | undefined): string[] =>
  ((summary?.hooks ?? []) as { name: string; outcome: string }[]).map((h) => `${h.name}:${h.outcome}`);

describe('hooks: each outcome told truthfully, exit codes as the README says', () => {
  it('a hook calling process.exit(0) exits 0; it is recorded ok and the hook after it as not run', async () => {
    const app = await startApp(APP, { env: { FAULT: 'exit-in-hook', EXIT_CODE: '0' } });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(outcomes(app.summary())).toEqual(['first:ok', 'second:skipped']);
    expect(app.stderr.join('\n')).not.toContain('second hook ran');
  });

  it('a hook calling process.exit(3) exits 3', async () => {
    const app = await startApp(APP, { env: { FAULT: 'exit-in-hook', EXIT_CODE: '3' } });
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(3);
    expect(outcomes(app.summary())).toEqual(['first:ok', 'second:skipped']);
  });

  it('process.exit(0) after `await shutdown()` exits 0, with the summary line', async () => {
    const app = await startApp(APP, { env: { FAULT: 'exit-after-shutdown', EXIT_CODE: '0' } });
    await get(app.port, '/stop');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    const summary = app.summary();
    expect(summary).toBeDefined();
    // "slow" was running when the app chose to exit; "after" never ran. Neither is a failure.
    expect(outcomes(summary)).toEqual(['slow:skipped', 'after:skipped']);
  });

  it('a hung hook takes only its fair share: the hooks after it run and are recorded ok', async () => {
    const app = await startApp(APP, { env: { FAULT: 'hung-hook', GRACEFUL_OTEL_HOOKS_TIMEOUT: '900ms' } });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    const summary = app.summary();
    expect(outcomes(summary)).toEqual(['stuck:timeout', 'a:ok', 'b:ok']);
    const stuck = (summary?.hooks as { duration_ms: number }[])[0];
    // A third of the 900 ms budget, not all of it.
    expect(stuck.duration_ms).toBeGreaterThanOrEqual(250);
    expect(stuck.duration_ms).toBeLessThan(500);
  });

  it('GRACEFUL_OTEL_HOOKS_TIMEOUT=0 turns the hooks off: not run, recorded skipped, exit 0', async () => {
    const app = await startApp(APP, { env: { FAULT: 'hung-hook', GRACEFUL_OTEL_HOOKS_TIMEOUT: '0' } });
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    expect(outcomes(app.summary())).toEqual(['stuck:skipped', 'a:skipped', 'b:skipped']);
    expect(app.stderr.join('\n')).not.toContain('hook a ran');
  });
});

describe('durations a timer cannot hold are refused', () => {
  for (const value of ['99999999999999999999', '2147485s', '2147483648']) {
    it(`GRACEFUL_OTEL_GRACE_PERIOD=${value} stops startup with exit 78, naming the limit`, async () => {
      const app = await startApp(APP, { env: { GRACEFUL_OTEL_GRACE_PERIOD: value }, waitListening: false });
      const exit = await app.exited;
      expect(exit.code).toBe(78);
      const text = app.stderr.join('\n');
      expect(text).toContain(`GRACEFUL_OTEL_GRACE_PERIOD="${value}" is invalid`);
      expect(text).toContain('at most 2147483647ms');
      expect(app.stderr.join('\n')).not.toContain('"msg":"listening"');
    });
  }
});

describe('the budget holds when the main thread is blocked', () => {
  it('a hook spinning synchronously past the budget: killed at the budget, the line names phase and step', async () => {
    const env = { FAULT: 'spin-hook', SPIN_MS: '8000', GRACEFUL_OTEL_GRACE_PERIOD: '3s', GRACEFUL_OTEL_SAFETY_MARGIN: '500ms', GRACEFUL_OTEL_HOOKS_TIMEOUT: '1s', GRACEFUL_OTEL_FLUSH_TIMEOUT: '500ms' };
    const app = await startApp(APP, { env });
    app.signal('SIGTERM');
    const exit = await app.exited;
    // Budget 2.5 s; the backstop acts 250 ms later, within the safety margin; plus slack for a loaded machine.
    expect(exit.ms).toBeLessThan(3000 + 600);
    expect(exit.signal).toBe('SIGKILL');
    expect(app.stderr.join('\n')).toContain('shutdown budget exhausted in phase hooks, step "spin" and the main thread is blocked');
  });
});
