/**
 * The engine: one per process, shared by the preload and the programmatic API (kept on
 * globalThis so even two copies of the package find the same one). It holds the watched servers,
 * hooks and observers, and starts the sequence exactly once.
 */
import { writeSync } from 'node:fs';
import type http from 'node:http';
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { resolveConfig, unknownVariables, type Config } from './config.js';
import { ConnectionTracker } from './discovery.js';
import { healthPort, startHealthServer } from './health.js';
import { log, setLogLevel } from './log.js';
import type { Flusher, ShutdownObserver, ShutdownSummary } from './observer.js';
import type { RegisteredHook } from './phases/hooks.js';
import type { EngineState, RunContext } from './run-context.js';
import { runSequence } from './sequence.js';
import { SignalRouter } from './signals.js';
import type { GracefulOptions, HookOptions, Phase, ShutdownHook, ShutdownTrigger } from './types.js';
import { parseDuration } from './duration.js';
import { WorkTracker } from './work.js';
import { Readiness } from './readiness.js'; // conn
import { watchFrameworks } from './frameworks.js'; // conn

type Exit = (code?: number) => never;

/** Installed by the telemetry layer at first start; kept apart so the engine never imports it. */
export type TelemetryInstaller = (engine: Engine) => void;

export class Engine implements EngineState {
  ready = true;
  phase: Phase = 'serving';
  readonly shutdownController = new AbortController();
  readonly deadlineController = new AbortController();
  readonly tracker = new ConnectionTracker();
  readonly work = new WorkTracker();
  readonly readiness = new Readiness(this.tracker); // conn: readiness holds and checks
  readonly observers: ShutdownObserver[] = [];
  readonly flushers: Flusher[] = [];
  /** Run when the shutdown begins, before anything is reported (the telemetry's late setup). */
  readonly preparers: (() => void)[] = [];
  /** Filled by the telemetry layer: the exposition for `/metrics`. */
  metrics: ((openMetrics: boolean) => Promise<{ contentType: string; body: string } | undefined>) | undefined;
  /** Waiting for the next scrape of the health server's `/metrics` (the linger). */
  private scrapeWaiters: (() => void)[] = [];
  config: Config | undefined;
  summary: ShutdownSummary | undefined;
  healthServer: http.Server | undefined;

  private options: GracefulOptions = {};
  private readonly hooks: RegisteredHook[] = [];
  private hookSeq = 0;
  private signals: SignalRouter | undefined;
  private run: Promise<never> | undefined;
  private cut: AbortController | undefined;
  private context: RunContext | undefined;
  private readonly drained: Promise<void>;
  private markDrained: () => void = () => {};
  private readonly realProcessExit: Exit = process.exit.bind(process) as Exit;

  constructor(private readonly installTelemetry: TelemetryInstaller) {
    this.drained = new Promise((resolve) => (this.markDrained = resolve));
  }

  /**
   * Validates the configuration and installs everything; a later call merges its options in.
   * @throws {ConfigError} when a setting is invalid (nothing is installed then).
   */
  start(options: GracefulOptions = {}): Promise<void> {
    const merged = { ...this.options, ...options };
    const config = resolveConfig(merged);
    const previous = this.config;
    this.options = merged;
    this.config = config;
    setLogLevel(config.logLevel);
    if (previous === undefined) {
      for (const { name, suggestion } of unknownVariables()) {
        log().warn({ variable: name, suggestion }, `unknown variable ${name} is ignored; did you mean ${suggestion}?`);
      }
      this.tracker.subscribe();
      watchFrameworks((name, fn) => this.onShutdown(name, fn)); // conn: Fastify onClose hooks
      this.installTelemetry(this);
    }
    if (config.metricsLingerMs > 0 && config.healthPort === undefined) {
      log().warn({ variable: 'GRACEFUL_OTEL_METRICS_LINGER' }, 'GRACEFUL_OTEL_METRICS_LINGER has no effect without GRACEFUL_OTEL_HEALTH_PORT: the linger keeps the health port\'s /metrics up');
    }
    if (previous === undefined || previous.signals.join() !== config.signals.join()) {
      this.signals?.uninstall();
      this.signals = new SignalRouter(config.signals, (signal) => this.onSignal(signal));
      this.signals.install();
    }
    if (previous?.healthPort !== config.healthPort || previous?.healthHost !== config.healthHost || previous?.preStop !== config.preStop) {
      return this.restartHealthServer(config);
    }
    return Promise.resolve();
  }

  /** Watches a server the channels cannot see (created before the preload, or from a worker handle). */
  addServer(server: Server): void {
    this.tracker.add(server);
  }

  onShutdown(name: string, fn: ShutdownHook, options: HookOptions = {}): () => void {
    if (typeof name !== 'string' || name === '') throw new TypeError('onShutdown(name, fn): name must be a non-empty string');
    if (typeof fn !== 'function') throw new TypeError(`onShutdown("${name}", fn): fn must be a function`);
    let timeoutMs: number | undefined;
    if (options.timeout !== undefined) {
      timeoutMs = typeof options.timeout === 'number' ? options.timeout : parseDuration(options.timeout);
      if (timeoutMs === undefined || !(timeoutMs >= 0)) {
        throw new TypeError(`onShutdown("${name}"): timeout ${JSON.stringify(options.timeout)} is not a duration (250ms, 5s, 1m or milliseconds)`);
      }
    }
    const order = options.order ?? 0;
    if (!Number.isFinite(order)) throw new TypeError(`onShutdown("${name}"): order must be a finite number`);
    const hook: RegisteredHook = { name, fn, timeoutMs, order, seq: this.hookSeq++ };
    this.hooks.push(hook);
    return () => {
      const at = this.hooks.indexOf(hook);
      if (at >= 0) this.hooks.splice(at, 1);
    };
  }

  /** Starts the sequence (or joins the running one); resolves when the drain is over. */
  shutdown(trigger: ShutdownTrigger = 'api'): Promise<void> {
    if (this.run === undefined) this.begin(trigger);
    return this.drained;
  }

  realExit(code: number): never {
    process.exit = this.realProcessExit;
    return this.realProcessExit(code);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.run === undefined) {
      this.begin(signal);
      return;
    }
    if (signal === 'SIGINT') {
      log().warn({ signal }, 'SIGINT during shutdown: skipping the remaining waits, flushing and exiting');
      if (this.summary !== undefined) this.summary.cutShort ??= 'second SIGINT';
      this.cut?.abort();
      return;
    }
    log().warn({ signal, phase: this.phase }, `repeated ${signal} ignored: shutdown already in progress`);
  }

  private begin(trigger: ShutdownTrigger): void {
    if (this.config === undefined) this.start();
    const config = this.config as Config;
    for (const prepare of this.preparers) {
      try {
        prepare();
      } catch (error) {
        log().warn({ err: error }, 'telemetry setup failed; shutting down without it');
      }
    }
    const startedAt = performance.now();
    const hardDeadline = startedAt + config.gracePeriodMs - config.safetyMarginMs;
    const cut = new AbortController();
    this.cut = cut;
    const summary: ShutdownSummary = {
      trigger,
      startedAtMs: Date.now(),
      servers: [...this.tracker.servers].map((s) => s.snapshot()),
      connectionsAtStart: this.tracker.connections,
      inflightAtStart: this.tracker.inflight,
      workAtStart: this.work.active,
      phaseMs: {},
      drainOutcome: undefined,
      drainMs: undefined,
      forced: { request: 0, connection: 0, hook: 0, work: 0 },
      hooks: [],
      flush: [],
      cutShort: undefined,
      exitCode: undefined,
    };
    this.summary = summary;
    const ctx: RunContext = {
      engine: this,
      config,
      tracker: this.tracker,
      work: this.work,
      summary,
      startedAt,
      hardDeadline,
      cut: cut.signal,
      requestedExitCode: undefined,
      report: (event, ...args) => this.report(event, args),
    };
    this.context = ctx;
    this.guardExit(ctx, cut);
    this.armWatchdog(ctx);
    const adoptedSignal: NodeJS.Signals = trigger === 'api' || trigger === 'prestop' ? 'SIGTERM' : trigger;
    this.run = runSequence(ctx, {
      hooks: this.hooks,
      adopted: (this.signals?.listenersOf(adoptedSignal) ?? []).map((listener, i) => ({
        name: `${adoptedSignal} listener #${i + 1}${listener.name ? ` (${listener.name})` : ''}`,
        run: () => listener.call(process, adoptedSignal),
      })),
      flushers: this.flushers,
      nextScrape: this.healthServer === undefined ? undefined : () => new Promise<void>((resolve) => this.scrapeWaiters.push(resolve)),
      setPhase: (phase) => (this.phase = phase),
      drained: () => this.markDrained(),
    });
    this.run.catch((error: unknown) => {
      // A bug in the sequence itself: still leave within the budget, loudly.
      writeSync(2, `graceful-otel: shutdown sequence failed: ${String((error as Error)?.stack ?? error)}\n`);
      this.realExit(config.failureExitCode);
    });
  }

  /** A `process.exit()` during the sequence (an adopted listener's, say) must not skip the flush. */
  private guardExit(ctx: RunContext, cut: AbortController): void {
    process.exit = ((code?: number | string | null) => {
      const asked = code === undefined || code === null ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : Number(code);
      const requested = Number.isInteger(asked) ? asked : 1;
      if (ctx.summary.exitCode !== undefined) {
        // An adopted listener, run during the flush: the code is decided and reported already.
        log().info({ requested_exit_code: requested, exit_code: ctx.summary.exitCode }, 'process.exit() from a signal listener: deferred until the flush is done');
        return undefined as never;
      }
      ctx.requestedExitCode ??= requested;
      log().info({ requested_exit_code: requested, phase: this.phase }, 'process.exit() during shutdown: skipping the remaining waits; exiting after the flush');
      ctx.summary.cutShort ??= `process.exit(${requested})`;
      cut.abort();
      return undefined as never;
    }) as Exit;
  }

  /** The grace period is sacred: whatever hangs, the process leaves by the hard deadline. */
  private armWatchdog(ctx: RunContext): void {
    setTimeout(() => {
      writeSync(2, `graceful-otel: shutdown budget exhausted in phase ${this.phase}; exiting now\n`);
      this.realExit(ctx.config.failureExitCode);
    }, ctx.hardDeadline - performance.now());
  }

  private report(event: keyof ShutdownObserver, args: unknown[]): void {
    for (const observer of this.observers) {
      const method = observer[event] as ((...a: unknown[]) => void) | undefined;
      if (method === undefined) continue;
      try {
        method.apply(observer, args);
      } catch (error) {
        log().warn({ err: error, event }, 'a shutdown observer failed; ignored');
      }
    }
  }

  private async restartHealthServer(config: Config): Promise<void> {
    const previous = this.healthServer;
    this.healthServer = undefined;
    if (previous !== undefined) await new Promise((resolve) => previous.close(resolve));
    if (config.healthPort === undefined) return;
    try {
      this.healthServer = await startHealthServer(
        {
          readiness: () => this.readiness.evaluate(!this.ready), // conn
          metrics: (openMetrics) => this.metrics?.(openMetrics) ?? Promise.resolve(undefined),
          preStop: () => this.shutdown('prestop'),
          scraped: () => {
            for (const resolve of this.scrapeWaiters.splice(0)) resolve();
          },
        },
        { port: config.healthPort, host: config.healthHost, preStop: config.preStop },
      );
      log().info({ event: 'health.listening', port: healthPort(this.healthServer), host: config.healthHost ?? '*' }, 'health server listening');
    } catch (error) {
      // Probes on a port that cannot be bound would never pass: stop before serving.
      writeSync(
        2,
        `graceful-otel: cannot start the health server on ${config.healthHost ?? '*'}:${config.healthPort} (GRACEFUL_OTEL_HEALTH_PORT): ${(error as Error).message}\n`,
      );
      this.realExit(78);
    }
  }
}

const ENGINE_KEY = Symbol.for('graceful-otel.engine.v1');

/** The process's one engine, created on first use. */
export function getEngine(installTelemetry: TelemetryInstaller): Engine {
  const store = globalThis as typeof globalThis & { [ENGINE_KEY]?: Engine };
  store[ENGINE_KEY] ??= new Engine(installTelemetry);
  return store[ENGINE_KEY];
}
