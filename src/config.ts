/**
 * Configuration: every setting exists as a `GRACEFUL_OTEL_*` variable and as an option of the
 * programmatic API. Precedence: option, then variable, then default. Everything is validated at
 * startup; the budget arithmetic is checked against the grace period.
 */
import { bareSecondsHint, DURATION_FORMS, formatDuration, parseDuration } from './duration.js';
import type { GracefulOptions } from './types.js';

/** Fully validated settings, durations in milliseconds. */
export interface Config {
  gracePeriodMs: number;
  safetyMarginMs: number;
  drainDelayMs: number;
  /**
   * The drain timeout when no cleanup hook is registered: the explicit setting, or what the budget
   * leaves. Hooks may be registered after start, so the drain takes the hooks' share out of it only
   * at shutdown: see {@link drainTimeoutFor}.
   */
  drainTimeoutMs: number;
  /** `drainTimeoutMs` was set explicitly (it is then used as it is). */
  drainTimeoutExplicit: boolean;
  hooksTimeoutMs: number;
  /** `hooksTimeoutMs` was set explicitly (the startup check then counts it in full). */
  hooksTimeoutExplicit: boolean;
  flushTimeoutMs: number;
  signals: NodeJS.Signals[];
  healthPort: number | undefined;
  healthHost: string | undefined;
  preStop: PreStopAccess;
  failureExitCode: number;
  logLevel: LogLevel;
  pushgatewayUrl: string | undefined;
  metricsLingerMs: number;
  /** WebSocket close 1001 and SSE end at stop-intake. */
  goingAway: boolean;
}

export type PreStopAccess = 'loopback' | 'any' | 'off';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const PRESTOP: readonly PreStopAccess[] = ['loopback', 'any', 'off'];

/** Thrown when a setting is invalid; `problems` lists every one found, each a full sentence. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`graceful-otel: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (text: string) => T | undefined;

interface Setting<T> {
  env: string;
  option: keyof GracefulOptions;
  parse: Parser<T>;
  accepts: string;
  /** A likelier reading of a refused value, appended to the error. */
  hint?: (text: string) => string | undefined;
}

const duration: Parser<number> = (text) => parseDuration(text);
/** Shortest grace period written as bare milliseconds; below it, "30" surely meant seconds. */
const BARE_GRACE_MIN_MS = 1000;
const gracePeriod: Parser<number> = (text) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) return undefined;
  return /^\s*\d+\s*$/.test(text) && ms < BARE_GRACE_MIN_MS ? undefined : ms;
};
const onOff: Parser<boolean> = (text) => {
  const value = text.trim().toLowerCase();
  return value === 'on' || value === 'true' ? true : value === 'off' || value === 'false' ? false : undefined;
};
const positiveDuration: Parser<number> = (text) => {
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
};
const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (text) =>
    (values as readonly string[]).includes(text.trim()) ? (text.trim() as T) : undefined;
const integerIn =
  (min: number, max: number): Parser<number> =>
  (text) => {
    if (!/^\d+$/.test(text.trim())) return undefined;
    const n = Number(text);
    return n >= min && n <= max ? n : undefined;
  };
const signalList: Parser<NodeJS.Signals[]> = (text) => {
  const trimmed = text.trim();
  if (trimmed === 'none') return [];
  const names = trimmed.split(',').map((s) => s.trim().toUpperCase());
  if (names.length === 0 || names.some((n) => !(SIGNALS as readonly string[]).includes(n))) return undefined;
  return [...new Set(names)] as NodeJS.Signals[];
};
const httpUrl: Parser<string> = (text) => {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString().replace(/\/$/, '') : undefined;
  } catch {
    return undefined;
  }
};
const hostName: Parser<string> = (text) => (/^[A-Za-z0-9.:_-]+$/.test(text.trim()) ? text.trim() : undefined);
const port: Parser<number | 'off'> = (text) => (text.trim() === 'off' ? 'off' : integerIn(0, 65535)(text));

/** Every setting: its variable, its option name, how it is parsed and what it accepts. */
export const SETTINGS = {
  gracePeriod: {
    env: 'GRACEFUL_OTEL_GRACE_PERIOD',
    option: 'gracePeriod',
    parse: gracePeriod,
    accepts: `a duration of at least 1s: ${DURATION_FORMS}`,
    hint: (text) => bareSecondsHint(text, BARE_GRACE_MIN_MS),
  },
  safetyMargin: { env: 'GRACEFUL_OTEL_SAFETY_MARGIN', option: 'safetyMargin', parse: duration, accepts: DURATION_FORMS },
  drainDelay: { env: 'GRACEFUL_OTEL_DRAIN_DELAY', option: 'drainDelay', parse: duration, accepts: DURATION_FORMS },
  drainTimeout: { env: 'GRACEFUL_OTEL_DRAIN_TIMEOUT', option: 'drainTimeout', parse: positiveDuration, accepts: `a duration above zero: ${DURATION_FORMS}` },
  hooksTimeout: { env: 'GRACEFUL_OTEL_HOOKS_TIMEOUT', option: 'hooksTimeout', parse: duration, accepts: DURATION_FORMS },
  flushTimeout: { env: 'GRACEFUL_OTEL_FLUSH_TIMEOUT', option: 'flushTimeout', parse: positiveDuration, accepts: `a duration above zero: ${DURATION_FORMS}` },
  signals: { env: 'GRACEFUL_OTEL_SIGNALS', option: 'signals', parse: signalList, accepts: `a comma-separated list of ${SIGNALS.join(', ')}, or none` },
  healthPort: { env: 'GRACEFUL_OTEL_HEALTH_PORT', option: 'healthPort', parse: port, accepts: 'a port number from 0 to 65535 (0 picks a free port), or off' },
  healthHost: { env: 'GRACEFUL_OTEL_HEALTH_HOST', option: 'healthHost', parse: hostName, accepts: 'an IP address or host name to bind the health server to (for example 0.0.0.0, ::, 127.0.0.1)' },
  preStop: { env: 'GRACEFUL_OTEL_PRESTOP', option: 'preStop', parse: oneOf(PRESTOP), accepts: `one of ${PRESTOP.join(', ')}` },
  failureExitCode: { env: 'GRACEFUL_OTEL_FAILURE_EXIT_CODE', option: 'failureExitCode', parse: integerIn(0, 255), accepts: 'a whole number from 0 to 255' },
  logLevel: { env: 'GRACEFUL_OTEL_LOG_LEVEL', option: 'logLevel', parse: oneOf(LOG_LEVELS), accepts: `one of ${LOG_LEVELS.join(', ')}` },
  pushgatewayUrl: { env: 'GRACEFUL_OTEL_PUSHGATEWAY_URL', option: 'pushgatewayUrl', parse: httpUrl, accepts: 'an http:// or https:// URL of a Prometheus Pushgateway' },
  metricsLinger: { env: 'GRACEFUL_OTEL_METRICS_LINGER', option: 'metricsLinger', parse: duration, accepts: `${DURATION_FORMS}; 0 turns it off` },
  goingAway: { env: 'GRACEFUL_OTEL_GOING_AWAY', option: 'goingAway', parse: onOff, accepts: 'on or off' },
} satisfies Record<string, Setting<unknown>>;

/** Names of every variable the package reads, for the unknown-variable warning. */
export const KNOWN_VARIABLES: readonly string[] = Object.values(SETTINGS).map((s) => s.env);

/**
 * Defaults. The reserves scale with the grace period (a tenth for the margin, a fifth each for
 * hooks and flush) up to their caps, so a 10 s or 5 s platform default still leaves most of the
 * budget to the drain.
 */
const DEFAULTS = {
  gracePeriodMs: 30_000,
  kubernetesDrainDelayMs: 5000,
  safetyMargin: { share: 1 / 10, capMs: 1000 },
  hooksTimeout: { share: 1 / 5, capMs: 5000 },
  flushTimeout: { share: 1 / 5, capMs: 3000 },
};

function reserve(gracePeriodMs: number, part: { share: number; capMs: number }): number {
  return Math.min(part.capMs, Math.round(gracePeriodMs * part.share));
}

/**
 * The drain timeout of a shutdown, given whether any cleanup hook is registered then. With none,
 * nothing is held back for hooks. With some, the hooks' budget comes out of what the drain would
 * get, but never more than half of it when the hooks budget is a default (an explicit one was
 * checked to fit at startup).
 */
export function drainTimeoutFor(config: Config, hooksRegistered: boolean): number {
  if (config.drainTimeoutExplicit || !hooksRegistered) return config.drainTimeoutMs;
  const hooksShare = config.hooksTimeoutExplicit ? config.hooksTimeoutMs : Math.min(config.hooksTimeoutMs, config.drainTimeoutMs / 2);
  return Math.max(0, config.drainTimeoutMs - hooksShare);
}

/**
 * Resolves options and environment into a validated {@link Config}.
 * @throws {ConfigError} listing every invalid value and any budget that does not fit.
 */
export function resolveConfig(options: GracefulOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  function read<T>(setting: Setting<T>): T | undefined {
    const fromOption = options[setting.option];
    if (fromOption !== undefined) {
      const text = Array.isArray(fromOption) ? fromOption.join(',') : String(fromOption);
      const value = setting.parse(text);
      if (value === undefined) {
        problems.push(`option ${String(setting.option)}=${JSON.stringify(fromOption)} is invalid: expected ${setting.accepts}.${hintFor(setting, text)}`);
      }
      return value;
    }
    const fromEnv = env[setting.env];
    if (fromEnv === undefined || fromEnv === '') return undefined;
    const value = setting.parse(fromEnv);
    if (value === undefined) {
      problems.push(`${setting.env}=${JSON.stringify(fromEnv)} is invalid: expected ${setting.accepts}.${hintFor(setting, fromEnv)}`);
    }
    return value;
  }

  const onKubernetes = (env.KUBERNETES_SERVICE_HOST ?? '') !== '';
  const gracePeriodMs = read(SETTINGS.gracePeriod) ?? DEFAULTS.gracePeriodMs;
  const safetyMarginMs = read(SETTINGS.safetyMargin) ?? reserve(gracePeriodMs, DEFAULTS.safetyMargin);
  const drainDelayMs = read(SETTINGS.drainDelay) ?? (onKubernetes ? DEFAULTS.kubernetesDrainDelayMs : 0);
  const explicitDrainTimeoutMs = read(SETTINGS.drainTimeout);
  const explicitHooksTimeoutMs = read(SETTINGS.hooksTimeout);
  const hooksTimeoutMs = explicitHooksTimeoutMs ?? reserve(gracePeriodMs, DEFAULTS.hooksTimeout);
  const flushTimeoutMs = read(SETTINGS.flushTimeout) ?? reserve(gracePeriodMs, DEFAULTS.flushTimeout);
  const config: Config = {
    gracePeriodMs,
    safetyMarginMs,
    drainDelayMs,
    // The hooks' share is taken out at shutdown, once it is known whether any hook is registered.
    drainTimeoutMs: explicitDrainTimeoutMs ?? gracePeriodMs - safetyMarginMs - drainDelayMs - flushTimeoutMs,
    drainTimeoutExplicit: explicitDrainTimeoutMs !== undefined,
    hooksTimeoutMs,
    hooksTimeoutExplicit: explicitHooksTimeoutMs !== undefined,
    flushTimeoutMs,
    signals: read(SETTINGS.signals) ?? ['SIGTERM', 'SIGINT'],
    healthPort: offToUndefined(read(SETTINGS.healthPort)),
    healthHost: read(SETTINGS.healthHost),
    preStop: read(SETTINGS.preStop) ?? 'loopback',
    failureExitCode: read(SETTINGS.failureExitCode) ?? 1,
    logLevel: read(SETTINGS.logLevel) ?? 'info',
    pushgatewayUrl: read(SETTINGS.pushgatewayUrl),
    metricsLingerMs: read(SETTINGS.metricsLinger) ?? 0,
    goingAway: read(SETTINGS.goingAway) ?? true,
  };

  if (problems.length === 0) {
    const budget = budgetProblem(config, explicitDrainTimeoutMs !== undefined);
    if (budget !== undefined) problems.push(budget);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function hintFor(setting: Setting<unknown>, text: string): string {
  const hint = setting.hint?.(text);
  return hint === undefined ? '' : ` ${hint}`;
}

function offToUndefined<T>(value: T | 'off' | undefined): T | undefined {
  return value === 'off' ? undefined : value;
}

/** Explains, with the arithmetic, a budget whose parts do not fit inside the grace period. */
function budgetProblem(config: Config, drainTimeoutGiven: boolean): string | undefined {
  // A default hooks budget is only held back when a hook is registered, and then shrinks to fit
  // (drainTimeoutFor); an explicit one is counted in full.
  const hooksMs = config.hooksTimeoutExplicit || drainTimeoutGiven ? config.hooksTimeoutMs : 0;
  const parts = [
    `drain delay ${formatDuration(config.drainDelayMs)}`,
    `drain timeout ${drainTimeoutGiven ? formatDuration(config.drainTimeoutMs) : '(what is left)'}`,
    `hooks ${hooksMs === 0 ? '0 (none registered yet)' : formatDuration(hooksMs)}`,
    `flush ${formatDuration(config.flushTimeoutMs)}`,
    `safety margin ${formatDuration(config.safetyMarginMs)}`,
  ].join(' + ');
  const fixed = config.drainDelayMs + hooksMs + config.flushTimeoutMs + config.safetyMarginMs;
  const grace = `grace period ${formatDuration(config.gracePeriodMs)} (${SETTINGS.gracePeriod.env})`;
  const advice =
    'Shorten a part (GRACEFUL_OTEL_DRAIN_DELAY, _DRAIN_TIMEOUT, _HOOKS_TIMEOUT, _FLUSH_TIMEOUT, _SAFETY_MARGIN) or raise the grace period, together with the platform\'s (terminationGracePeriodSeconds on Kubernetes).';
  if (drainTimeoutGiven) {
    const total = fixed + config.drainTimeoutMs;
    if (total > config.gracePeriodMs) {
      return `the shutdown budget does not fit: ${parts} = ${formatDuration(total)}, more than the ${grace}. ${advice}`;
    }
  } else if (config.drainTimeoutMs - hooksMs <= 0) {
    return `the shutdown budget leaves no time to drain: ${parts}, with ${formatDuration(fixed)} already taken out of the ${grace}. ${advice}`;
  }
  return undefined;
}

/**
 * Names of `GRACEFUL_OTEL_*` variables that the package does not know, each with the nearest
 * known name, for a startup warning.
 */
export function unknownVariables(env: NodeJS.ProcessEnv = process.env): { name: string; suggestion: string }[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('GRACEFUL_OTEL_') && !KNOWN_VARIABLES.includes(name))
    .map((name) => ({ name, suggestion: nearest(name, KNOWN_VARIABLES) }));
}

function nearest(name: string, candidates: readonly string[]): string {
  let best = candidates[0] ?? '';
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
