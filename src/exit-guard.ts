/**
 * The way out of the process. While the sequence runs, `process.exit()` is intercepted (an
 * adopted listener's or a hook's call must not skip the flush), and a watchdog exits at the end
 * of the budget whatever is still running. Everything that exits goes through {@link ExitGuard.exit}.
 */
import { writeSync } from 'node:fs';

type Exit = (code?: number) => never;

/** What the guard needs from the process; tests pass fakes. */
export interface ExitPort {
  /** The real `process.exit`. */
  exit: Exit;
  /** A synchronous write to stderr: it must land even when the loop is stuck. */
  writeStderr(text: string): void;
}

const realPort = (): ExitPort => ({
  exit: process.exit.bind(process) as Exit,
  writeStderr: (text) => {
    try {
      writeSync(2, text);
    } catch {
      // stderr closed: nothing left to tell
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
   * The grace period is sacred: after `ms`, writes which phase the sequence was stuck in and
   * exits with `failureCode`, whatever is still running.
   */
  armWatchdog(ms: number, stuckIn: () => string, failureCode: number): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.port.writeStderr(`graceful-otel: shutdown budget exhausted in ${stuckIn()}; exiting now\n`);
      this.exit(failureCode);
    }, Math.max(0, ms));
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
    process.exit = this.port.exit;
    return this.port.exit(code);
  }
}
