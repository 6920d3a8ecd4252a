/**
 * Finds the app's pino loggers and flushes their destinations before exit. Loggers are found with
 * no code change through pino's `pino_asJson` tracing channel (pino >= 9.10): a logger is seen on
 * its first line. Destinations are held weakly: pino lets an unused transport be collected.
 */
import { subscribe } from 'node:diagnostics_channel';
import { leaves } from './destinations.js';
import { flushAll, type PinoFlushResult } from './flush-all.js';
import { pinoDestination } from './private-fields.js';

export type { PinoFlushResult } from './flush-all.js';

const CHANNEL = 'tracing:pino_asJson:start';

export interface PinoFlusher {
  /**
   * Starts finding loggers through pino's channel (idempotent). While watching, pino runs
   * `traceSync` for every line; the subscriber only reads a property and checks a `WeakSet`.
   */
  watch(): void;
  /**
   * Flushes every known destination (the inner streams of multistreams included) in parallel;
   * resolves by `deadline` (epoch ms) and never rejects. Meant as the last step before exit: a
   * destination still busy at the deadline is disarmed so pino's exit handler cannot block.
   */
  flush(deadline: number): Promise<PinoFlushResult>;
}

export function createPinoFlusher(): PinoFlusher {
  const seen = new WeakSet<object>();
  let known: Array<WeakRef<object>> = [];
  let watching = false;

  const add = (stream: object): void => {
    if (seen.has(stream)) return;
    seen.add(stream);
    known.push(new WeakRef(stream));
  };

  // Runs for every log line while watching: no allocation once the logger's stream is known.
  const onLine = (message: unknown): void => {
    const instance = (message as { instance?: unknown } | null)?.instance;
    if (typeof instance !== 'object' || instance === null) return;
    const stream = pinoDestination(instance);
    if (stream !== undefined) add(stream);
  };

  const live = (): object[] => {
    const alive = known.filter((ref) => ref.deref() !== undefined);
    known = alive;
    return alive.map((ref) => ref.deref() as object);
  };

  return {
    watch() {
      if (watching) return;
      watching = true;
      subscribe(CHANNEL, onLine);
    },
    flush: (deadline) => flushAll(leaves(live()), deadline),
  };
}

