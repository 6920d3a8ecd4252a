/**
 * graceful-otel's own log lines: pino, one JSON line per event, on stderr. Created on first use so
 * the preload adds nothing to startup. Lines are written off the main thread (see
 * log-destination.ts): a full stderr pipe must never block the exit, so the flush step waits for
 * them with a deadline instead.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import { settleWithin } from './deadline.js';
import { FdWriter } from './log-destination.js';
import type { LogLevel } from './config.js';

type Fields = Record<string, unknown>;

let logger: Logger | undefined;
let destination: FdWriter | undefined;
let level: LogLevel = 'info';
let context: () => Fields = () => ({});

/** Sets the level (from the configuration); applies to the logger if it exists already. */
export function setLogLevel(next: LogLevel): void {
  level = next;
  if (logger !== undefined) logger.level = next;
}

/** Sets the fields merged into every line (trace_id/span_id of the active span). */
export function setLogContext(provider: () => Fields): void {
  context = provider;
}

/** The logger, created on first use. */
export function log(): Logger {
  if (logger !== undefined) return logger;
  // Loaded on first use to keep pino off the startup path (the package runs as CommonJS).
  const pino = require('pino') as typeof import('pino');
  destination = new FdWriter(2);
  logger = pino.default(
    { name: 'graceful-otel', level, base: { pid: process.pid, hostname: os.hostname() }, mixin: () => safeContext() },
    destination,
  );
  return logger;
}

/** Writes what is queued; resolves `true` when written, `false` if `timeoutMs` passed first. */
export function flushLog(timeoutMs: number): Promise<boolean> {
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
