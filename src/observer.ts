/**
 * What the sequence reports as it runs. Telemetry (spans, metrics, logs) implements
 * {@link ShutdownObserver}; observers only watch: an observer that throws is logged and ignored,
 * and nothing an observer returns changes what the sequence does.
 */
import type { CancelledRequest } from './discovery.js';
import type { ForcedKind, Phase, ServerSnapshot, ShutdownTrigger } from './types.js';

/** The outcome of one cleanup hook (or adopted signal listener). */
export interface HookResult {
  name: string;
  outcome: 'ok' | 'error' | 'timeout';
  durationMs: number;
  error?: string;
  /** The stack of the error the hook threw, when it had one. */
  stack?: string;
}

/** The outcome of one flush step. */
export interface FlushResult {
  name: string;
  outcome: 'ok' | 'error' | 'timeout';
  durationMs: number;
  detail?: string;
}

/** Everything the sequence learnt, filled in as it goes; the final log line prints it. */
export interface ShutdownSummary {
  trigger: ShutdownTrigger;
  /** Unix time in ms the sequence began. */
  startedAtMs: number;
  servers: ServerSnapshot[];
  connectionsAtStart: number;
  inflightAtStart: number;
  workAtStart: number;
  /** Milliseconds spent in each phase that ran. */
  phaseMs: Partial<Record<Phase, number>>;
  drainOutcome: 'clean' | 'forced' | 'skipped' | undefined;
  drainMs: number | undefined;
  forced: Record<ForcedKind, number>;
  hooks: HookResult[];
  flush: FlushResult[];
  /** Set when the waits were cut short: a second SIGINT or a `process.exit()` call during the sequence. */
  cutShort: string | undefined;
  exitCode: number | undefined;
}

/** Callbacks for each step of the sequence; all optional. */
export interface ShutdownObserver {
  shutdownStarted?(summary: ShutdownSummary): void;
  phaseStarted?(phase: Phase, summary: ShutdownSummary): void;
  phaseEnded?(phase: Phase, summary: ShutdownSummary): void;
  drainStarted?(summary: ShutdownSummary): void;
  deadlineReached?(cancelled: CancelledRequest[], summary: ShutdownSummary): void;
  hookStarted?(name: string): void;
  hookEnded?(result: HookResult): void;
  /** The exit code is known; the flush is about to start. Spans of the shutdown end here. */
  exitDecided?(summary: ShutdownSummary): void;
  flushEnded?(result: FlushResult): void;
  /** Last call before `process.exit`. */
  exiting?(summary: ShutdownSummary): void;
}

/** One step of the final flush; steps of a lower stage finish (or time out) before the next stage starts. */
export interface Flusher {
  name: string;
  stage: number;
  /** When present and false, the step is left out (read at flush time, so late configuration counts). */
  enabled?(): boolean;
  /**
   * Must give up by `deadline` (a `performance.now()` timestamp); the caller stops waiting then
   * anyway. A string it resolves with is reported as the step's detail.
   */
  flush(deadline: number, summary: ShutdownSummary): Promise<unknown>;
}
