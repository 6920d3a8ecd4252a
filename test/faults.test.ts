/**
 * Fault injection (issue 12): each fault reproduced with real child processes, real signals, real
 * pipes, a full filesystem and blackholed exporters. Every test checks the exit lands inside the
 * budget, the exit code matches the README's table, the summary line is written, and each failure's
 * line names its cause.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module shared with the demo
import { startOtlpReceiver } from '../examples/lib/otlp-receiver.mjs';
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
    expect((summary?.hooks as { error?: string }[])[0]?.error).toMatch(/^timed out after 3\d\dms$/);
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

  it('a request handler blocking the main thread during the drain: killed at the budget, the line names the drain', async () => {
    const env = { SPIN_MS: '8000', GRACEFUL_OTEL_GRACE_PERIOD: '3s', GRACEFUL_OTEL_SAFETY_MARGIN: '500ms', GRACEFUL_OTEL_HOOKS_TIMEOUT: '200ms', GRACEFUL_OTEL_FLUSH_TIMEOUT: '500ms' };
    const app = await startApp(APP, { env });
    void get(app.port, '/spin-later');
    await app.received(1);
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.ms).toBeLessThan(3000 + 600);
    expect(exit.signal).toBe('SIGKILL');
    expect(app.stderr.join('\n')).toContain('shutdown budget exhausted in phase drain and the main thread is blocked');
  });
});

interface Bare {
  child: ChildProcess;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  port: number;
}

/**
 * Spawns the app under the preload with stdout a pipe that is never read (it fills and blocks the
 * app's writes) and stderr read; resolves once it listens.
 */
async function startUnreadStdout(env: Record<string, string>): Promise<Bare & { sigterm(): void }> {
  const child = spawn(process.execPath, ['--import', 'graceful-otel/register', APP], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  unread.add(child);
  const stderr: string[] = [];
  let partial = '';
  let sentAt = performance.now();
  let onListening: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (onListening = resolve));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stderr.push(line);
      if (line.includes('"msg":"listening"')) onListening((JSON.parse(line) as { port: number }).port);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      const ms = performance.now() - sentAt;
      unread.delete(child);
      setTimeout(() => resolve({ code, signal, ms }), 50);
    }),
  );
  const port = await Promise.race([listening, exited.then(() => -1)]);
  return {
    child,
    stderr,
    exited,
    port,
    sigterm: () => {
      sentAt = performance.now();
      child.kill('SIGTERM');
    },
  };
}
const unread = new Set<ChildProcess>();
afterEach(() => {
  for (const child of unread) child.kill('SIGKILL');
});

const logsOf = (stderr: string[]): LogLine[] =>
  stderr.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as LogLine & { name?: string };
      return parsed.name === 'graceful-otel' ? [parsed] : [];
    } catch {
      return [];
    }
  });

const PINO_BUDGET = { GRACEFUL_OTEL_GRACE_PERIOD: '3s', GRACEFUL_OTEL_SAFETY_MARGIN: '500ms', GRACEFUL_OTEL_HOOKS_TIMEOUT: '200ms', GRACEFUL_OTEL_FLUSH_TIMEOUT: '800ms' };

describe('pino: every destination disarmed before the exit, whatever its outcome', () => {
  it('10 runs with stdout a pipe nobody reads: each exits inside the budget, with the summary line', async () => {
    const runs: { code: number | null; signal: string | null; ms: number; summary: boolean; pinoDetail?: string }[] = [];
    // Two at a time: this machine has two cores and other tests run beside these.
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        [0, 1].map(async () => {
          const app = await startUnreadStdout({ FAULT: 'pino-stdout', ...PINO_BUDGET });
          // Let the app fill the pipe (64 KiB) many times over.
          await new Promise((resolve) => setTimeout(resolve, 300));
          app.sigterm();
          const exit = await app.exited;
          const logs = logsOf(app.stderr);
          const pino = logs.find((l) => l.event === 'flush.failed' && l.step === 'pino loggers');
          runs.push({ ...exit, summary: logs.some((l) => l.event === 'shutdown.summary'), pinoDetail: pino?.detail as string | undefined });
        }),
      );
    }
    expect(runs).toHaveLength(10);
    for (const run of runs) {
      expect(run.signal).toBeNull();
      expect(run.code).toBe(0);
      expect(run.ms).toBeLessThan(2500 + 500);
      expect(run.summary).toBe(true);
      // The flush line says what happened to the destination, not a bare timeout.
      expect(run.pinoDetail).toMatch(/1 timed out/);
    }
  });

  for (const fault of ['pino-full', 'pino-transport'] as const) {
    const what = fault === 'pino-full' ? 'an async pino.destination' : 'a pino/file transport';
    it(`${what} on a full filesystem: disarmed, exit inside the budget, the flush line names ENOSPC`, async () => {
      const app = await startApp(APP, { env: { FAULT: fault, PINO_DEST: fullFile(`${fault}.log`), ...PINO_BUDGET } });
      await app.waitFor((l) => l.includes('log destination error'), 10_000, 'the destination to fail');
      app.signal('SIGTERM');
      const exit = await app.exited;
      expect(exit.signal).toBeNull();
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(2500);
      const failed = app.logs().find((l) => l.event === 'flush.failed' && l.step === 'pino loggers');
      expect(failed?.detail).toContain('1 failed (ENOSPC');
      expect(app.summary()).toBeDefined();
    });
  }
});

let full: string | undefined;
/** A file on a 64 KiB tmpfs (mounted when allowed), else /dev/full: writes there fail with ENOSPC. */
function fullFile(name: string): string {
  full ??= mountFull();
  return full === '/dev' ? '/dev/full' : path.join(full, name);
}
function mountFull(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faults-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return '/dev';
  }
}
afterAll(() => {
  if (full === undefined || full === '/dev') return;
  execFileSync('umount', [full], { stdio: 'ignore' });
  rmSync(full, { recursive: true, force: true });
});

describe('adopted signal handlers keep the semantics they had without the preload', () => {
  it('removeAllListeners(SIGTERM) then a handler of its own: the shutdown runs and the handler is adopted', async () => {
    const app = await startApp(APP, { env: { FAULT: 'remove-all' } });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(0);
    expect(outcomes(app.summary())).toEqual(['SIGTERM listener #1 (appHandler):ok']);
    expect(app.stderr.join('\n')).toContain('app SIGTERM handler ran');
    // The listener the app removed stays removed, as without the preload.
    expect(app.stderr.join('\n')).not.toContain('removed listener ran');
  });

  it('a naive server.close(cb) that throws its error: the callback sees no error, exit 0 with the summary', async () => {
    const app = await startApp(APP, { env: { FAULT: 'naive-close' } });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(app.stderr.join('\n')).toContain('"msg":"closed"');
    expect(app.stderr.join('\n')).not.toContain('ERR_SERVER_NOT_RUNNING');
    expect(app.summary()?.exit_code).toBe(0);
  });
});

describe('OpenTelemetry: nothing lost, every failure says why', () => {
  it('server spans of requests cut at the drain deadline reach the OTLP receiver', async () => {
    const receiver = (await startOtlpReceiver()) as { spans: { scope: string; attributes: Record<string, unknown> }[]; url: string; close(): Promise<void> };
    try {
      const app = await startApp(path.join(FIXTURES, 'app.mjs'), {
        nodeArgs: ['--import', path.join(FIXTURES, 'otel-setup.mjs')],
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '60000',
          OTEL_SDK_DISABLED: 'false',
          GRACEFUL_OTEL_DRAIN_TIMEOUT: '500ms',
        },
      });
      const n = 4;
      const cut = Promise.all(Array.from({ length: n }, () => get(app.port, '/hang')));
      await app.received(n);
      app.signal('SIGTERM');
      const results = await cut;
      expect(results.every((r) => r.error !== undefined)).toBe(true);
      expect((await app.exited).code).toBe(1);
      expect(app.summary()?.forced).toMatchObject({ request: n });
      const hung = receiver.spans.filter((s) => s.scope === '@opentelemetry/instrumentation-http' && s.attributes['url.path'] === '/hang');
      expect(hung).toHaveLength(n);
    } finally {
      await receiver.close();
    }
  });

  it.each([
    ['refused', 'connection refused'],
    ['reset', 'connection reset'],
    ['blackholed', 'accepts connections but does not answer'],
  ])('an OTLP endpoint that is %s: the flush line says so', async (kind, cause) => {
    const endpoint = net.createServer((socket) => {
      socket.on('error', () => {});
      if (kind === 'reset') socket.resetAndDestroy(); // accepts, then RST
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    const port = (endpoint.address() as net.AddressInfo).port;
    if (kind === 'refused') await new Promise((resolve) => endpoint.close(resolve));
    try {
      const app = await startApp(APP, {
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SDK_DISABLED: 'false',
          GRACEFUL_OTEL_GRACE_PERIOD: '4s',
          GRACEFUL_OTEL_HOOKS_TIMEOUT: '200ms',
          GRACEFUL_OTEL_FLUSH_TIMEOUT: '1200ms',
        },
      });
      app.signal('SIGTERM');
      const exit = await app.exited;
      expect(exit.ms).toBeLessThan(3000 + 500);
      expect(exit.code).toBe(0);
      const failed = app.logs().find((l) => l.event === 'flush.failed' && l.step === 'opentelemetry providers');
      expect(String(failed?.detail)).toContain(`http://127.0.0.1:${port}: ${cause}`);
      expect(app.summary()).toBeDefined();
    } finally {
      endpoint.close();
    }
  });
});

describe('the health server is bound before the app can serve', () => {
  it.each(['import', 'require'] as const)('GRACEFUL_OTEL_HEALTH_HOST=localhost with a busy port (--%s): exit 78 before the app listens', async (preload) => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, 'localhost', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const app = await startApp(APP, {
        preload,
        env: { GRACEFUL_OTEL_HEALTH_HOST: 'localhost', GRACEFUL_OTEL_HEALTH_PORT: String(port) },
        waitListening: false,
        waitHealth: false,
      });
      const exit = await app.exited;
      expect(exit.code).toBe(78);
      const text = app.stderr.join('\n');
      expect(text).toContain(`cannot start the health server on localhost:${port}`);
      expect(text).toContain('EADDRINUSE');
      expect(text).not.toContain('"msg":"listening"');
    } finally {
      busy.close();
    }
  });
});
