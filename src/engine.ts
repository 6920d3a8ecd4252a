/**
 * The engine: one per process, shared by the preload and the programmatic API (kept on globalThis
 * so even two copies of the package find the same one). It holds the configuration, the watched
 * servers, the hooks and the telemetry, routes signals, and starts the sequence exactly once.
 * Each concern lives in a module of its own; this file connects them.
 */
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { resolveConfig, unknownVariables, type Config } from './config.js';
import { isClusterWorker } from './activation.js';
import { watchPrimaryListeners } from './cluster.js';
import { describeCrash, EXIT_CRASH, watchCrashes, type CrashOrigin } from './crash.js';
import { ConnectionTracker } from './discovery.js';
import { ExitGuard } from './exit-guard.js';
import { watchFrameworks } from './frameworks.js';
import { HealthService } from './health.js';
import { HookRegistry } from './hook-registry.js';
import { log, logEnabled, setLogLevel } from './log.js';
import type { ShutdownObserver, ShutdownSummary, Telemetry } from './observer.js';
import { Readiness } from './readiness.js';
import { rehearse, REHEARSAL_AFTER_LISTEN_MS } from './rehearsal.js';
import type { EngineState, EngineView, RunContext } from './run-context.js';
import { runSequence } from './sequence.js';
import { SignalRouter } from './signals.js';
import { newSummary } from './summary.js';
import { kEngine } from './symbols.js';
import type { GracefulOptions, Phase, ShutdownTrigger } from './types.js';
import { WorkTracker } from './work.js';

/** Creates the telemetry layer at first start; kept apart so the engine never imports it. */
export type TelemetryFactory = (engine: EngineView) => Telemetry;

/** `server` serves HTTP itself; `cluster-primary` serves through its node:cluster workers. */
export type EngineRole = 'server' | 'cluster-primary';

/** Exit code for a configuration error or a health port that cannot be bound (EX_CONFIG). */
export const EXIT_CONFIG = 78;

export class Engine implements EngineState, EngineView {
  ready = true;
  phase: Phase = 'serving';
  readonly shutdownController = new AbortController();
  readonly deadlineController = new AbortController();
  readonly tracker = new ConnectionTracker(() => this.serving());
  readonly work = new WorkTracker();
  readonly hooks = new HookRegistry();
  readonly readiness = new Readiness(this.tracker, () => this.role === 'cluster-primary');
  config: Config | undefined;

  private options: GracefulOptions = {};
  private role: EngineRole = 'server';
  private telemetry: Telemetry | undefined;
  private readonly telemetryPrepared = new Set<'listen' | 'shutdown'>();
  private signals: SignalRouter | undefined;
  private readonly exitGuard = new ExitGuard();
  private readonly health = new HealthService({
    readiness: () => this.readiness.evaluate(!this.ready),
    metrics: (openMetrics) => {
      this.prepareTelemetry('listen');
      return this.telemetry?.metrics(openMetrics) ?? Promise.resolve(undefined);
    },
    preStop: () => this.shutdown('prestop'),
    listenFailed: (error) => this.healthFailed(error),
  });
  private running: RunContext | undefined;
  private rehearsalTimer: NodeJS.Timeout | undefined;
  private skipWaits: AbortController | undefined;
  private readonly drainOver: Promise<void>;
  private markDrainOver: () => void = () => {};

  constructor(private readonly createTelemetry: TelemetryFactory) {
    this.drainOver = new Promise((resolve) => (this.markDrainOver = resolve));
  }

  /**
   * Validates the configuration and installs everything; a later call merges its options in.
   * @throws {ConfigError} when a setting is invalid (nothing is installed then).
   */
  start(options: GracefulOptions = {}, role?: EngineRole): Promise<void> {
    if (role === 'cluster-primary' && this.role !== role) watchPrimaryListeners();
    if (role !== undefined) this.role = role;
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
      watchFrameworks((name, fn) => this.hooks.add(name, fn)); // Fastify apps: their onClose hooks run in the hooks phase
      this.telemetry = this.createTelemetry(this);
      watchCrashes((error, origin) => this.onCrash(error, origin));
    }
    if (config.metricsLingerMs > 0 && config.healthPort === undefined) {
      log().warn({ variable: 'GRACEFUL_OTEL_METRICS_LINGER' }, 'GRACEFUL_OTEL_METRICS_LINGER has no effect without GRACEFUL_OTEL_HEALTH_PORT: the linger keeps the health port\'s /metrics up');
    }
    if (previous === undefined || previous.signals.join() !== config.signals.join()) {
      this.signals?.uninstall();
      this.signals = new SignalRouter(config.signals, (signal) => this.onSignal(signal));
      this.signals.install();
    }
    return this.applyHealth(config);
  }

  readyNow(): boolean {
    return this.readiness.isReady(!this.ready);
  }

  /** Watches a server the channels cannot see (created before the preload, or from a worker handle). */
  addServer(server: Server): void {
    this.tracker.add(server);
  }

  /** Starts the sequence (or joins the running one); resolves when the drain is over. */
  shutdown(trigger: ShutdownTrigger = 'api'): Promise<void> {
    if (this.running === undefined) this.begin(trigger);
    return this.drainOver;
  }

  /** Node would exit now: tell it, flush what can be flushed within the flush budget, exit 1. */
  private onCrash(error: unknown, origin: CrashOrigin): void {
    const crash = describeCrash(error);
    this.exitGuard.writeStderr(`${crash.stack}\n`);
    const running = this.running;
    if (running === undefined) {
      this.begin(origin, crash);
      return;
    }
    log().fatal({ event: 'process.crashed', origin, err: crash, phase: this.phase }, `${origin} during shutdown: skipping the remaining waits`);
    if (running.summary.exitCode === undefined) running.requestedExitCode ??= EXIT_CRASH;
    running.summary.cutShort ??= origin;
    this.skipWaits?.abort();
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.running === undefined) {
      this.begin(signal);
      return;
    }
    if (signal === 'SIGINT') {
      log().warn({ signal }, 'SIGINT during shutdown: skipping the remaining waits, flushing and exiting');
      this.running.summary.cutShort ??= 'second SIGINT';
      this.skipWaits?.abort();
      return;
    }
    log().warn({ signal, phase: this.phase }, `repeated ${signal} ignored: shutdown already in progress`);
  }

  private begin(trigger: ShutdownTrigger, crash?: ShutdownSummary['crash']): void {
    if (this.config === undefined) void this.start();
    const config = this.config as Config;
    const startedAt = performance.now();
    const skipWaits = new AbortController();
    this.skipWaits = skipWaits;
    // A primary's workers get the signal a moment after it: it keeps half the margin for them.
    const margin = this.role === 'cluster-primary' ? config.safetyMarginMs / 2 : config.safetyMarginMs;
    const summary = newSummary(trigger, this.tracker, this.work);
    const ctx: RunContext = {
      engine: this,
      config,
      tracker: this.tracker,
      work: this.work,
      summary,
      startedAt,
      hardDeadline: startedAt + config.gracePeriodMs - margin,
      skipWaits: skipWaits.signal,
      requestedExitCode: undefined,
      report: (event, ...args) => this.report(event, args),
      enterStep: (step, appCode) => this.exitGuard.enterStep(step, appCode),
    };
    this.running = ctx;
    if (crash !== undefined) {
      summary.crash = crash;
      summary.cutShort = trigger;
      ctx.requestedExitCode = EXIT_CRASH;
      log().fatal({ event: 'process.crashed', origin: trigger, err: crash }, `${trigger}: flushing telemetry and exiting`);
      skipWaits.abort();
    }
    this.exitGuard.intercept((requested) => this.onExitCall(ctx, requested));
    // The backstop thread acts within the safety margin, only if the main thread cannot.
    this.exitGuard.armWatchdog(ctx.hardDeadline - performance.now(), config.failureExitCode, Math.min(250, config.safetyMarginMs / 2));
    // The app's own handlers of the signal run in the flush; a crash is no signal they expect.
    const adopted = crash !== undefined ? [] : this.signals?.adoptedFor(isSignal(trigger) ? trigger : 'SIGTERM') ?? [];
    runSequence(ctx, {
      clusterPrimary: this.role === 'cluster-primary',
      clusterWorker: isClusterWorker(),
      prepareTelemetry: () => this.prepareTelemetry('shutdown'),
      hooks: this.hooks.ordered(),
      adopted,
      steps: this.telemetry?.flushSteps ?? [],
      nextScrape: this.health.nextScrape(),
      setPhase: (phase) => {
        this.phase = phase;
        this.exitGuard.progress.enterPhase(phase);
      },
      drainOver: () => this.markDrainOver(),
    }).then(
      (code) => this.exitGuard.exit(code),
      // A bug in the sequence itself: still leave within the budget, loudly.
      (error: unknown) =>
        this.exitGuard.fail(`graceful-otel: shutdown sequence failed: ${String((error as Error)?.stack ?? error)}`, config.failureExitCode),
    );
  }

  /** A `process.exit()` during the sequence (an adopted listener's, a hook's) must not skip the flush. */
  private onExitCall(ctx: RunContext, requested: number): void {
    if (ctx.summary.exitCode !== undefined) {
      // An adopted listener, run during the flush: the code is decided and reported already.
      log().info({ requested_exit_code: requested, exit_code: ctx.summary.exitCode }, 'process.exit() from a signal listener: deferred until the flush is done');
      return;
    }
    ctx.requestedExitCode ??= requested;
    if (this.role === 'cluster-primary') {
      // The workers are draining: the primary's exit waits for them.
      log().info({ requested_exit_code: requested, phase: this.phase }, 'process.exit() in the cluster primary: exiting once the workers have');
      return;
    }
    log().info({ requested_exit_code: requested, phase: this.phase }, 'process.exit() during shutdown: skipping the remaining waits; exiting after the flush');
    ctx.summary.cutShort ??= `process.exit(${requested})`;
    this.skipWaits?.abort();
  }

  /** A server listens: the telemetry decides its setup, and the sequence is rehearsed once, later. */
  private serving(): void {
    setImmediate(() => this.prepareTelemetry('listen'));
    if (this.rehearsalTimer !== undefined) return;
    this.rehearsalTimer = setTimeout(() => this.rehearse(), REHEARSAL_AFTER_LISTEN_MS);
    this.rehearsalTimer.unref();
  }

  /** See rehearsal.ts. A cluster primary's sequence is its workers': it has none of its own to rehearse. */
  private rehearse(): void {
    const config = this.config;
    if (this.running !== undefined || this.role !== 'server' || config === undefined) return;
    rehearse(config).then(
      (ms) => {
        if (logEnabled('debug')) log().debug({ event: 'shutdown.rehearsed', duration_ms: Math.round(ms * 10) / 10 }, 'shutdown sequence rehearsed on an empty context');
      },
      // The real sequence would likely fail the same way: say so now, while there is time to look.
      (error: unknown) => log().warn({ err: error }, 'the shutdown rehearsal failed'),
    );
  }

  /** Sets up the telemetry (observer.ts, `prepare`); a failure there never stops the shutdown. */
  private prepareTelemetry(when: 'listen' | 'shutdown'): void {
    if (this.telemetry === undefined || this.telemetryPrepared.has(when)) return;
    this.telemetryPrepared.add(when);
    try {
      this.telemetry.prepare(when);
    } catch (error) {
      log().warn({ err: error }, 'telemetry setup failed; shutting down without it');
    }
  }

  private report(event: keyof ShutdownObserver, args: unknown[]): void {
    for (const observer of this.telemetry?.observers() ?? []) {
      const method = observer[event] as ((...a: unknown[]) => void) | undefined;
      if (method === undefined) continue;
      try {
        method.apply(observer, args);
      } catch (error) {
        log().warn({ err: error, event }, 'a shutdown observer failed; ignored');
      }
    }
  }

  private async applyHealth(config: Config): Promise<void> {
    // In a cluster the primary answers the probes: a worker binding the port too would collide.
    if (isClusterWorker() && config.healthPort !== undefined) {
      config = { ...config, healthPort: undefined };
    }
    try {
      if (await this.health.apply(config)) {
        log().info({ event: 'health.listening', port: this.health.port, host: config.healthHost ?? '*' }, 'health server listening');
      }
    } catch (error) {
      this.healthFailed(error as Error);
    }
  }

  /** Probes on a port that cannot be bound would never pass: stop before serving. */
  private healthFailed(error: Error): never {
    const config = this.config;
    return this.exitGuard.fail(
      `graceful-otel: cannot start the health server on ${config?.healthHost ?? '*'}:${config?.healthPort} (GRACEFUL_OTEL_HEALTH_PORT): ${error.message}`,
      EXIT_CONFIG,
    );
  }
}

function isSignal(trigger: ShutdownTrigger): trigger is NodeJS.Signals {
  return trigger.startsWith('SIG');
}

/** The process's one engine, created on first use. */
export function getEngine(createTelemetry: TelemetryFactory): Engine {
  const store = globalThis as typeof globalThis & { [kEngine]?: Engine };
  store[kEngine] ??= new Engine(createTelemetry);
  return store[kEngine];
}
