/** What each phase of one shutdown run can see, and what the telemetry may read of the engine. */
import type { Config } from './config.js';
import type { ConnectionTracker } from './discovery.js';
import type { ShutdownObserver, ShutdownSummary } from './observer.js';
import type { Phase } from './types.js';
import type { WorkTracker } from './work.js';

/** The parts of the engine a phase may touch. */
export interface EngineState {
  ready: boolean;
  readonly shutdownController: AbortController;
  readonly deadlineController: AbortController;
}

/** What the telemetry layer may read of the engine (it never changes it). */
export interface EngineView {
  /** False from the first moment of shutdown. */
  readonly ready: boolean;
  /** What `/readyz` would say by what is known now: listening, no hold, last checks passed, not shutting down. */
  readyNow(): boolean;
  readonly phase: Phase;
  readonly config: Readonly<Config> | undefined;
  readonly tracker: ConnectionTracker;
}

export interface RunContext {
  readonly engine: EngineState;
  readonly config: Config;
  readonly tracker: ConnectionTracker;
  readonly work: WorkTracker;
  readonly summary: ShutdownSummary;
  /** `performance.now()` when the sequence began. */
  readonly startedAt: number;
  /** `performance.now()` by which the process must have exited: start + grace period - safety margin. */
  readonly hardDeadline: number;
  /** Aborts when the remaining waits are to be skipped (second SIGINT, `process.exit()` during the run). */
  readonly skipWaits: AbortSignal;
  /** Exit code the app asked for with `process.exit()` during the run. */
  requestedExitCode: number | undefined;
  /**
   * Notes the step the sequence is in (a hook, a flush step), for the watchdog's last line;
   * `appCode` when the step runs the app's code (which may block the main thread).
   */
  enterStep(step: string, appCode?: boolean): void;
  /** Calls one observer method on every observer; never throws. */
  report<K extends keyof ShutdownObserver>(event: K, ...args: Parameters<NonNullable<ShutdownObserver[K]>>): void;
}
