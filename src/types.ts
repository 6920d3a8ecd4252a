/** Public types of graceful-otel. */

/** A duration: milliseconds as a number, or text such as `250ms`, `5s`, `1m`. */
export type Duration = number | string;

/**
 * Options of {@link start}. Each has a `GRACEFUL_OTEL_*` variable of the same meaning; an option
 * given here wins over the variable, which wins over the default.
 */
export interface GracefulOptions {
  /** Signal-to-exit budget, the platform's grace period (at least `1s`; a bare number is milliseconds). `GRACEFUL_OTEL_GRACE_PERIOD`, default `30s`. */
  gracePeriod?: Duration;
  /** Kept free at the end of the budget so the exit lands before SIGKILL. `GRACEFUL_OTEL_SAFETY_MARGIN`, default a tenth of the grace period, at most `1s`. */
  safetyMargin?: Duration;
  /** Time to keep serving (with `Connection: close`) while the load balancer deregisters the instance. `GRACEFUL_OTEL_DRAIN_DELAY`, default `5s` on Kubernetes, else `0`. */
  drainDelay?: Duration;
  /** Longest wait for in-flight requests and open sockets. `GRACEFUL_OTEL_DRAIN_TIMEOUT`, default: what the budget leaves, worked out at shutdown (the hooks budget is held back only when a hook is registered). */
  drainTimeout?: Duration;
  /** Budget of all cleanup hooks together; a hook without a timeout gets a fair share of what is left; `0` turns hooks off. `GRACEFUL_OTEL_HOOKS_TIMEOUT`, default a fifth of the grace period, at most `5s`. */
  hooksTimeout?: Duration;
  /** Budget of the final telemetry flush. `GRACEFUL_OTEL_FLUSH_TIMEOUT`, default a fifth of the grace period, at most `3s`. */
  flushTimeout?: Duration;
  /** Signals that start the shutdown. `GRACEFUL_OTEL_SIGNALS`, default `SIGTERM,SIGINT`; `none` for preStop/API only. */
  signals?: NodeJS.Signals[] | string;
  /** Port of the health server (`/readyz`, `/livez`, `/metrics`, `/prestop`). `GRACEFUL_OTEL_HEALTH_PORT`, default off. */
  healthPort?: number | string;
  /** Address the health server binds. `GRACEFUL_OTEL_HEALTH_HOST`, default all interfaces. */
  healthHost?: string;
  /** Who may call `/prestop`: `loopback` (default), `any`, or `off`. `GRACEFUL_OTEL_PRESTOP`. */
  preStop?: 'loopback' | 'any' | 'off';
  /** Exit code when something was forced, failed or cut short. `GRACEFUL_OTEL_FAILURE_EXIT_CODE`, default `1`. */
  failureExitCode?: number | string;
  /** Level of graceful-otel's own log lines. `GRACEFUL_OTEL_LOG_LEVEL`, default `info`. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pushgateway that receives the final metric values during the flush. `GRACEFUL_OTEL_PUSHGATEWAY_URL`. */
  pushgatewayUrl?: string;
  /** Keep `/metrics` up after the drain until one more scrape arrives, at most this long. `GRACEFUL_OTEL_METRICS_LINGER`, default `0` (off). */
  metricsLinger?: Duration;
  /**
   * At stop-intake, send WebSocket clients a close frame with code 1001 (going away) and end
   * Server-Sent Events streams. `GRACEFUL_OTEL_GOING_AWAY`, default `on`; turn it off for apps
   * that close their own.
   */
  goingAway?: boolean | 'on' | 'off';
}

/** Options of a readiness check added with {@link addReadinessCheck}. */
export interface ReadinessCheckOptions {
  /** Longest the check may take; a check still running then counts as failed. Default `1s`. */
  timeout?: Duration;
}

/**
 * A readiness check: resolves (or returns) when ready; throws, rejects or returns `false` when not.
 * The signal aborts at the check's timeout.
 */
export type ReadinessCheck = (signal: AbortSignal) => unknown;

/** One line of the `/readyz` answer. */
export interface ReadinessResult {
  name: string;
  ok: boolean;
  /** Why it is not ready: the error, `timeout`, or the hold's reason. */
  detail?: string;
}

/** Options of a cleanup hook registered with {@link onShutdown}. */
export interface HookOptions {
  /**
   * Longest the hook may run; capped by what is left of the hooks budget; `0` leaves it out (recorded
   * `skipped`). Default: a fair share, what is left of the hooks budget divided by the hooks still to run.
   */
  timeout?: Duration;
  /** Hooks run in ascending order; equal orders run in registration order. Default `0`. */
  order?: number;
}

/** A cleanup hook. The signal aborts when the hook's timeout passes. */
export type ShutdownHook = (signal: AbortSignal) => unknown;

/** The phases of the sequence, as reported by metrics and spans. */
export type Phase = 'serving' | 'delay' | 'drain' | 'hooks' | 'flush';

/**
 * What started the shutdown: a signal, the health server's `/prestop`, the API's `shutdown()`, or
 * a crash (an uncaught exception or unhandled rejection with no handler of the app's).
 */
export type ShutdownTrigger = NodeJS.Signals | 'prestop' | 'api' | 'uncaughtException' | 'unhandledRejection';

/** Kinds of work cut at a deadline. */
export type ForcedKind = 'request' | 'connection' | 'hook' | 'work';

/** A token for non-HTTP work, from {@link beginWork}. */
export interface WorkToken {
  /** Marks the work finished; calling it again does nothing. */
  end(): void;
}

/** Counters of one server the package watches. */
export interface ServerSnapshot {
  /** `kind:port` (or `kind:path` for pipes), the `server` label of the metrics. */
  name: string;
  kind: 'http' | 'https' | 'http2';
  connections: number;
  inflight: number;
}
