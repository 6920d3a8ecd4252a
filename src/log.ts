/**
 * graceful-otel's own log lines: pino, one JSON line per event, on stderr. Lines are written off
 * the main thread (see log-destination.ts): a full stderr pipe must never block the exit, so the
 * flush step waits for them with a deadline instead.
 *
 * Loading pino takes tens of milliseconds. So from the first listen until the warm-up has loaded
 * pino a module per turn (warm-up.ts), info and debug lines (the health server listening, where
 * the trace goes) are kept with their time and written then; a warning or worse, or the start of a
 * shutdown, loads it at once and writes the kept lines first, in order. Before the app serves,
 * nothing waits: there is no traffic to hold up yet.
 *
 * At level warn or above no line is kept and a clean shutdown writes none, so pino is not warmed
 * up: it loads with the first line written. In an idle server it would cost ~3 MB of heap, and its
 * ~30 module resolutions, on top of the package's own, get Node's path code compiled by TurboFan,
 * which maps ~5 MB more of the node binary (measured on Node 24).
 */
import { writeSync } from 'node:fs';
import os from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import { settleWithin } from './deadline.js';
import { FdWriter } from './log-destination.js';
import type { LogLevel } from './config.js';
import { loadStepwise } from './warm-up.js';

type Fields = Record<string, unknown>;
type LineLevel = Exclude<LogLevel, 'silent'>;
/** One way to write a line at a level: structured fields, then the message. */
export type Logger = Record<LineLevel, (fields: Fields, message: string) => void>;

const LEVEL_VALUES: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
/** Lines at this level or above never wait for the warm-up. */
const URGENT = LEVEL_VALUES.warn;

let pino: PinoLogger | undefined;
let destination: FdWriter | undefined;
let level: LogLevel = 'info';
let context: () => Fields = () => ({});
/** Whether lines below warn are kept until pino is loaded (from the first listen to the warm-up). */
let keeping = false;
/** Lines kept until pino is loaded, with the time they were logged. */
let kept: { at: LineLevel; fields: Fields; message: string; time: number }[] = [];
/** The time of the line being written, when it is not now (a kept line). */
let lineTime: number | undefined;

/** Sets the level (from the configuration); applies to the logger if it exists already. */
export function setLogLevel(next: LogLevel): void {
  level = next;
  if (pino !== undefined) pino.level = next;
}

/** Whether a line at `at` would be written; asks without loading pino. */
export function logEnabled(at: LineLevel): boolean {
  return LEVEL_VALUES[at] >= LEVEL_VALUES[level];
}

/** Sets the fields merged into every line (trace_id/span_id of the active span). */
export function setLogContext(provider: () => Fields): void {
  context = provider;
}

const write = (at: LineLevel) => (fields: Fields, message: string): void => {
  if (!logEnabled(at)) return;
  if (pino === undefined && keeping && LEVEL_VALUES[at] < URGENT) {
    // An app that exits on its own before the warm-up still gets them.
    if (kept.length === 0) process.once('exit', writeKeptAtExit);
    kept.push({ at, fields, message, time: Date.now() });
    return;
  }
  loaded()[at](fields, message);
};

const facade: Logger = {
  trace: write('trace'),
  debug: write('debug'),
  info: write('info'),
  warn: write('warn'),
  error: write('error'),
  fatal: write('fatal'),
};

/** The logger. Lines below warn wait for pino to be loaded (see the top of this file). */
export function log(): Logger {
  return facade;
}

/**
 * A shutdown started: from now on every line is written at once (a hook that hangs until the
 * watchdog kills the process must not take the lines before it along). Loads pino now if a line is
 * kept or the sequence's info lines will be written; otherwise with the first warning, if any.
 */
export function stopKeepingLines(): void {
  keeping = false;
  if (kept.length > 0 || logEnabled('info')) loaded();
}

function loaded(): PinoLogger {
  if (pino !== undefined) return pino;
  destination = new FdWriter(2);
  pino = createPino(destination);
  writeKept(pino);
  return pino;
}

function createPino(to: { write(line: string): unknown }): PinoLogger {
  // Loaded on first need to keep pino off the startup path (the package runs as CommonJS).
  const create = require('pino') as typeof import('pino');
  return create.default(
    {
      name: 'graceful-otel',
      level,
      base: { pid: process.pid, hostname: os.hostname() },
      mixin: () => safeContext(),
      timestamp: () => `,"time":${lineTime ?? Date.now()}`,
    },
    to,
  );
}

function writeKept(to: PinoLogger): void {
  const early = kept;
  kept = [];
  for (const line of early) {
    lineTime = line.time;
    try {
      to[line.at](line.fields, line.message);
    } finally {
      lineTime = undefined;
    }
  }
}

/** At exit nothing asynchronous runs: the kept lines are written synchronously, or dropped if stderr would block. */
function writeKeptAtExit(): void {
  if (kept.length === 0) return;
  writeKept(
    createPino({
      write(line: string) {
        try {
          writeSync(2, line);
        } catch {
          // EAGAIN on a full non-blocking pipe, or a closed stderr: the exit does not wait for it
        }
      },
    }),
  );
}

/** The app serves now: lines below warn wait for the warm-up ({@link warmLog}). */
export function keepLinesUntilWarm(): void {
  keeping = pino === undefined;
}

/**
 * Loads pino ahead of need, a module per event-loop turn; then writes the kept lines and calls
 * `done`. Not at level warn or above (see the top of this file).
 */
export function warmLog(done: () => void): void {
  if (pino !== undefined || !logEnabled('info')) {
    done();
    return;
  }
  loadStepwise('pino', require.resolve('pino'), () => {
    rehearseLine(loaded());
    destination?.prepare();
    done();
  });
}

/**
 * One line through a logger like `logger` into nowhere: pino's line code (fields, mixin, JSON) is
 * compiled on first use, and should not be at the shutdown's first line (see rehearsal.ts).
 */
function rehearseLine(logger: PinoLogger): void {
  const nowhere = createPino({ write: () => true });
  nowhere.level = logger.level;
  // Fields of the shapes the shutdown's lines have: strings, numbers, nested objects, lists of them.
  nowhere.info(
    { event: 'log.rehearsed', phase: 'drain', duration_ms: 0, servers: ['http:0'], phases_ms: { drain: 0 }, hooks: [{ name: 'h', outcome: 'ok', error: undefined }], cut_short: undefined },
    'rehearsal',
  );
}

/** Writes what is queued; resolves `true` when written, `false` if `timeoutMs` passed first. */
export function flushLog(timeoutMs: number): Promise<boolean> {
  if (kept.length > 0) loaded();
  if (destination === undefined) return Promise.resolve(true);
  return settleWithin(destination.drained(), timeoutMs);
}

function safeContext(): Fields {
  try {
    return context();
  } catch {
    return {};
  }
}
