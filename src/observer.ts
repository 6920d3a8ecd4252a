/**
 * The contract between the sequence and the telemetry. The sequence reports each step to
 * {@link ShutdownObserver}s, which receive a read-only view of the summary: telemetry observes and
 * never steers. The telemetry layer hands the engine everything it provides in one
 * {@link Telemetry} object; the final flush runs its {@link FlushStep}s in the stated
 * {@link FLUSH_STAGES} order.
 */
import type { WorkerExit } from './cluster.js';
import type { CancelledRequest } from './discovery.js';
import type { ForcedKind, Phase, ServerSnapshot, ShutdownTrigger } from './types.js';

/**
 * How one cleanup hook (or adopted signal listener) ended: `ok` it returned, `error` it threw,
 * `timeout` it ran past its timeout and was given up on, `skipped` it never ran because the
 * sequence was cut short.
 */
export type HookOutcome = 'ok' | 'error' | 'timeout' | 'skipped';

/** The outcome of one cleanup hook (or adopted signal listener). */
export interface HookResult {
  name: string;
  outcome: HookOutcome;
  durationMs: number;
  /** `Name: message` of what the hook threw, or why it did not run. */
  error?: string;
  /** The stack of what the hook threw. */
  stack?: string;
}

/** The outcome of one flush step. */
export interface FlushResult {
  name: string;
  outcome: 'ok' | 'error' | 'timeout';
  durationMs: number;
  detail?: string;
}

/**
 * How the drain ended: `clean` nothing was left, `forced` what was left was destroyed at the
 * deadline, `skipped` the wait was abandoned (second SIGINT, `process.exit()`).
 */
export type DrainOutcome = 'clean' | 'forced' | 'skipped';

/** Everything the sequence learnt, filled in as it goes; the summary line prints it. */
export interface ShutdownSummary {
  trigger: ShutdownTrigger;
  /** Unix time in ms the sequence began. */
  startedAtMs: number;
  servers: ServerSnapshot[];
  connectionsAtStart: number;
  inflightAtStart: number;
  workAtStart: number;
  /** Milliseconds spent in each phase that ran (the flush: so far, while it runs). */
  phaseMs: Partial<Record<Phase, number>>;
  drainOutcome: DrainOutcome | undefined;
  drainMs: number | undefined;
  /** Work cut at a deadline, by kind (hooks: timed out or skipped). */
  forced: Record<ForcedKind, number>;
  hooks: HookResult[];
  flush: FlushResult[];
  /** Why the remaining waits were skipped: a second SIGINT or a `process.exit()` during the sequence. */
  cutShort: string | undefined;
  exitCode: number | undefined;
  /** The error, when a crash started the shutdown. */
  crash?: { type: string; message: string; stack: string };
  /** In a cluster primary: how each worker ended. */
  workers?: WorkerExit[];
}

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** What observers see of the summary: nothing in it can be changed through this type. */
export type SummaryView = DeepReadonly<ShutdownSummary>;

/** Callbacks for each step of the sequence; all optional. */
export interface ShutdownObserver {
  shutdownStarted?(summary: SummaryView): void;
  phaseStarted?(phase: Phase, summary: SummaryView): void;
  phaseEnded?(phase: Phase, summary: SummaryView): void;
  drainStarted?(summary: SummaryView): void;
  deadlineReached?(cancelled: readonly CancelledRequest[], summary: SummaryView): void;
  hookStarted?(name: string): void;
  hookEnded?(result: Readonly<HookResult>): void;
  /** The exit code is known; the flush is about to start. Spans of the shutdown end here. */
  exitDecided?(summary: SummaryView): void;
  flushEnded?(result: Readonly<FlushResult>): void;
}

/**
 * The flush's stages, in the order they run; the steps of one stage run in parallel. Stages
 * before `summary` keep a reserve of the flush budget so the log lines get out even when an
 * exporter hangs: the summary line is written, then the app's pino loggers are flushed, then
 * graceful-otel's own log lines, last.
 */
export const FLUSH_STAGES = ['providers', 'push', 'summary', 'app-logs', 'own-log'] as const;
export type FlushStage = (typeof FLUSH_STAGES)[number];
/** The first stage that writes log lines; the stages before it keep the log reserve free. */
export const FIRST_LOG_STAGE: FlushStage = 'summary';

/** One step of the final flush. */
export interface FlushStep {
  name: string;
  stage: FlushStage;
  /** When present and false, the step is left out (read at flush time, so late configuration counts). */
  enabled?(): boolean;
  /**
   * Must give up by `deadline` (a `performance.now()` timestamp); the caller stops waiting then
   * anyway. A string it resolves with is reported as the step's detail.
   */
  flush(deadline: number, summary: SummaryView): unknown;
}

/** A `/metrics` exposition. */
export interface Exposition {
  contentType: string;
  body: string;
}

/** Everything the telemetry layer provides, handed to the engine in one call. */
export interface Telemetry {
  /**
   * Observers in the order each event reaches them: the spans first, so that the log line of a
   * step carries the ids of the span that step opened. Read at every report, since
   * {@link Telemetry.prepare} adds some.
   */
  observers(): readonly ShutdownObserver[];
  /** The final flush's steps (run by stage, see {@link FLUSH_STAGES}). */
  readonly flushSteps: readonly FlushStep[];
  /** Does the costly setup (SDK, metrics) once: after the first server listens, or at shutdown. */
  prepare(): void;
  /** The exposition for the health server's `/metrics`, or `undefined` while there are no metrics. */
  metrics(openMetrics: boolean): Promise<Exposition | undefined>;
}
