// The exit guard with fake timers and a fake process exit: the budget watchdog exits at the end
// of the budget whatever else is pending, and process.exit() calls during the sequence are handed
// over instead of exiting.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import type { ExitGuard as Guard, ExitPort } from '../src/exit-guard.ts';

const { ExitGuard } = createRequire(import.meta.url)('../dist/cjs/exit-guard.js') as { ExitGuard: new (port: ExitPort) => Guard };

function fakePort() {
  const exits: number[] = [];
  const lines: string[] = [];
  const port: ExitPort = {
    exit: ((code?: number) => {
      exits.push(code ?? 0);
    }) as ExitPort['exit'],
    writeStderr: (text) => void lines.push(text),
  };
  return { port, exits, lines };
}

const realExit = process.exit;
afterEach(() => {
  vi.useRealTimers();
  process.exit = realExit;
});

describe('exit guard', () => {
  it('the watchdog exits with the failure code at the end of the budget, naming the phase', () => {
    vi.useFakeTimers();
    const { port, exits, lines } = fakePort();
    const guard = new ExitGuard(port);
    guard.progress.enterPhase('drain');
    guard.armWatchdog(9000, 7);
    // Other work pending far beyond the budget does not hold the exit.
    setTimeout(() => exits.push(-1), 60_000);
    vi.advanceTimersByTime(5000);
    guard.progress.enterPhase('hooks');
    guard.progress.enterStep('close-db');
    vi.advanceTimersByTime(3999);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([7]);
    expect(lines.join('')).toContain('budget exhausted in phase hooks, step "close-db"');
  });

  it('a normal exit disarms the watchdog', () => {
    vi.useFakeTimers();
    const { port, exits } = fakePort();
    const guard = new ExitGuard(port);
    guard.armWatchdog(1000, 1);
    guard.exit(0);
    vi.advanceTimersByTime(5000);
    expect(exits).toEqual([0]);
  });

  it('process.exit() during the sequence is handed over, not executed, until the real exit', () => {
    const { port, exits } = fakePort();
    const guard = new ExitGuard(port);
    const calls: number[] = [];
    guard.intercept((code) => calls.push(code));
    process.exit(3);
    process.exit();
    expect(calls).toEqual([3, 0]);
    expect(exits).toEqual([]);
    guard.exit(3);
    expect(exits).toEqual([3]);
    expect(process.exit).toBe(port.exit);
  });

  it('the backstop thread starts only once app code runs or the shutdown lasts, with the time left', () => {
    vi.useFakeTimers();
    const { port } = fakePort();
    const started: number[] = [];
    port.startBackstop = (ms) => void started.push(ms);
    const quick = new ExitGuard(port);
    quick.armWatchdog(9000, 1, 250);
    quick.enterStep('opentelemetry providers');
    vi.advanceTimersByTime(49);
    expect(started).toEqual([]); // an idle shutdown done by now never starts a thread
    quick.exit(0);
    vi.advanceTimersByTime(100);
    expect(started).toEqual([]);

    const hooks = new ExitGuard(port);
    hooks.armWatchdog(9000, 1, 250);
    vi.advanceTimersByTime(10);
    hooks.enterStep('close-db', true);
    expect(started).toHaveLength(1);
    // What is left of budget + slack (performance.now() is real time here).
    expect(started[0]).toBeGreaterThan(9000);
    expect(started[0]).toBeLessThanOrEqual(9000 + 250);
    vi.advanceTimersByTime(100);
    expect(started).toHaveLength(1);

    const slow = new ExitGuard(port);
    slow.armWatchdog(9000, 1, 250);
    vi.advanceTimersByTime(50);
    expect(started).toHaveLength(2);
  });
});
