/**
 * The way out of the process. While the sequence runs, `process.exit()` is intercepted (an
 * adopted listener's or a hook's call must not skip the flush), and a watchdog exits at the end
 * of the budget whatever is still running. Everything that exits goes through {@link ExitGuard.exit}.
 *
 * The watchdog has two parts. A timer on the main thread exits with the failure code at the end of
 * the budget. A timer cannot fire while the main thread is blocked (a synchronous loop in a hook, a
 * synchronous write to a full pipe, an exit handler stuck in `flushSync`), so a backstop thread
 * reads where the sequence is from shared memory and, if the process is still alive a moment after
 * the budget, writes that line and kills the process with SIGKILL (the only exit a thread can force
 * on a blocked process; the status is "killed by SIGKILL", 137 in a shell).
 *
 * A thread costs about 10 ms of CPU to start, which an idle shutdown (done in ~15 ms) would feel on
 * a single core. So it starts only when the shutdown runs app code (before the first hook or adopted
 * listener) or lasts longer than {@link BACKSTOP_DELAY_MS}, never while serving.
 */
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

type Exit = (code?: number) => never;

/** A shutdown still running after this long gets the backstop thread even if it runs no app code. */
export const BACKSTOP_DELAY_MS = 50;

/** What the guard needs from the process; tests pass fakes. */
export interface ExitPort {
  /** The real `process.exit`. */
  exit: Exit;
  /** A synchronous write to stderr: it must land even when the loop is stuck. */
  writeStderr(text: string): void;
  /** Starts the backstop: `ms` from now, if the process still lives, it writes where it was stuck and kills it. */
  startBackstop?(ms: number, where: Progress): void;
}

const UTF8 = new TextEncoder();

/**
 * Where the sequence is (phase and step), kept in shared memory so the backstop thread can read it
 * while the main thread is blocked. Text only; a read racing a write may see a mix of the two.
 */
export class Progress {
  static readonly BYTES = 512;
  /** [0]: length of the text in bytes; the text follows from byte 4. */
  readonly shared = new SharedArrayBuffer(4 + Progress.BYTES);
  private readonly length = new Int32Array(this.shared, 0, 1);
  private readonly text = new Uint8Array(this.shared, 4);
  private phase = 'serving';
  private step: string | undefined;

  /** Enters a phase (no step yet). */
  enterPhase(phase: string): void {
    this.phase = phase;
    this.step = undefined;
    this.publish();
  }

  /** Enters a step of the current phase (a hook, a flush step). */
  enterStep(step: string): void {
    this.step = step;
    this.publish();
  }

  /** `phase hooks, step "close-db"`. */
  describe(): string {
    return `phase ${this.phase}${this.step === undefined ? '' : `, step "${this.step}"`}`;
  }

  private publish(): void {
    const { written } = UTF8.encodeInto(this.describe(), this.text);
    Atomics.store(this.length, 0, written);
  }
}

/** Runs in the backstop thread: plain Node, no preload (execArgv: []), nothing but this. */
const BACKSTOP_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { shared, ms } = workerData;
// A timer of this thread's own loop: it fires whatever the main thread does.
setTimeout(() => {
const length = Atomics.load(new Int32Array(shared, 0, 1), 0);
const where = Buffer.from(new Uint8Array(shared, 4, length)).toString('utf8');
const line = 'graceful-otel: shutdown budget exhausted in ' + where + ' and the main thread is blocked; killing the process (SIGKILL)\\n';
let fd = 2;
// A stderr of its own that does not block: if nobody reads the pipe, the kill must still happen.
try { fd = fs.openSync('/proc/self/fd/2', fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_APPEND); } catch {}
try { fs.writeSync(fd, line); } catch {}
process.kill(process.pid, 'SIGKILL');
}, ms);
`;

const realPort = (): ExitPort => ({
  exit: process.exit.bind(process) as Exit,
  writeStderr: (text) => {
    try {
      writeSync(2, text);
    } catch {
      // stderr closed: nothing left to tell
    }
  },
  startBackstop: (ms, where) => {
    try {
      const worker = new Worker(BACKSTOP_SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false, workerData: { shared: where.shared, ms } });
      worker.unref();
      // An error in the thread (it could not start) must not reach the app; the main timer still holds.
      worker.on('error', () => {});
    } catch {
      // No thread (resource limits): the main-thread timer still holds the budget when the loop runs.
    }
  },
});

/** What the app asked for with `process.exit(code)`. */
export function requestedCode(code: number | string | null | undefined): number {
  const asked = code === undefined || code === null ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : Number(code);
  return Number.isInteger(asked) ? asked : 1;
}

export class ExitGuard {
  private readonly port: ExitPort;
  private watchdog: NodeJS.Timeout | undefined;
  private backstopTimer: NodeJS.Timeout | undefined;
  /** `performance.now()` at which the backstop kills a blocked process; undefined until armed. */
  private backstopAt: number | undefined;
  private backstopStarted = false;
  /** Where the sequence is; the phases write it, the watchdog's last line reads it. */
  readonly progress = new Progress();

  constructor(port: ExitPort = realPort()) {
    this.port = port;
  }

  /**
   * Replaces `process.exit` until {@link exit}: each call is handed to `onExitCall` with the code
   * asked for, and the process goes on.
   */
  intercept(onExitCall: (requested: number) => void): void {
    process.exit = ((code?: number | string | null) => {
      onExitCall(requestedCode(code));
      return undefined as never;
    }) as Exit;
  }

  /**
   * The grace period is sacred: after `ms`, writes which phase and step the sequence was stuck in
   * and exits with `failureCode`, whatever is still running. If the main thread is blocked then, the
   * backstop thread kills the process `backstopSlackMs` later.
   */
  armWatchdog(ms: number, failureCode: number, backstopSlackMs = 0): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.port.writeStderr(`graceful-otel: shutdown budget exhausted in ${this.progress.describe()}; exiting now\n`);
      this.exit(failureCode);
    }, Math.max(0, ms));
    this.backstopAt = performance.now() + Math.max(0, ms) + backstopSlackMs;
    clearTimeout(this.backstopTimer);
    this.backstopTimer = setTimeout(() => this.ensureBackstop(), BACKSTOP_DELAY_MS);
  }

  /**
   * Notes the step the sequence enters; `appCode` when it hands the main thread to the app (a hook,
   * an adopted listener), which may block it: the backstop thread is started first.
   */
  enterStep(step: string, appCode = false): void {
    this.progress.enterStep(step);
    if (appCode) this.ensureBackstop();
  }

  /** Starts the backstop thread once, if the watchdog is armed. */
  ensureBackstop(): void {
    if (this.backstopStarted || this.backstopAt === undefined) return;
    this.backstopStarted = true;
    clearTimeout(this.backstopTimer);
    this.port.startBackstop?.(Math.max(0, this.backstopAt - performance.now()), this.progress);
  }

  /** Writes to stderr synchronously (it must land even if the process dies right after). */
  writeStderr(text: string): void {
    this.port.writeStderr(text);
  }

  /** Writes a last line on stderr and exits: for failures outside the sequence (bad config, a bug). */
  fail(message: string, code: number): never {
    this.port.writeStderr(`${message}\n`);
    return this.exit(code);
  }

  /** Exits for real, with `process.exit` given back first. */
  exit(code: number): never {
    clearTimeout(this.watchdog);
    clearTimeout(this.backstopTimer);
    process.exit = this.port.exit;
    return this.port.exit(code);
  }
}
