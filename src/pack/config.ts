// The pack's config, mixin style: a JSON file of overrides (every key optional) on top of the
// defaults below. Windows follow the scrape interval unless set one by one.
import { duration, seconds } from './promql.js';
import { SOURCES } from './sources.js';
import type { PackConfig, Thresholds, Timings } from './types.js';

/** What a pack config file may hold (all optional). See docs/grafana-pack.md. */
export interface PackUserConfig {
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Enabled load-balancer sources, by id (default: all). */
  sources?: string[];
  /** Extra matchers per source id, e.g. { "ingress-nginx": "job=\"ingress-nginx\"" }. */
  sourceMatchers?: Record<string, string>;
  /** YACE `period` of the ALB metrics, in seconds. */
  albPeriodSeconds?: number;
  gatewayCodes?: string[];
  countClasses?: boolean;
  gatewayCodeChoices?: string[];
  clusterLabel?: string;
  kubeStateMetricsSelector?: string;
  gracefulOtelSelector?: string;
  labels?: Partial<PackConfig['labels']>;
  serviceFromDeployment?: PackConfig['rollout']['serviceFromDeployment'];
  rolloutReasons?: string[];
  thresholds?: Partial<Thresholds>;
  windows?: Partial<Omit<Timings, 'scrapeInterval' | 'evaluationInterval'>>;
  alertPrefix?: string;
  runbookBaseUrl?: string;
  dashboards?: Partial<PackConfig['dashboards']>;
}

/** Thrown for a config that cannot be used; the message names the key, the value and what is accepted. */
export class PackConfigError extends Error {
  override name = 'PackConfigError';
}

const THRESHOLDS: Thresholds = { errorRatio: 0.01, baselineFactor: 2, baselineMargin: 0.005, minRequestRate: 0.1, drainOfGrace: 0.8 };

/** Windows for a scrape interval: rates over 4 scrapes, everything else at least as long. */
export function timingsFor(scrapeInterval: string, evaluationInterval = scrapeInterval): Timings {
  const scrape = seconds(scrapeInterval);
  const rate = 4 * Math.max(scrape, seconds(evaluationInterval));
  const atLeast = (floor: number, value: number) => duration(Math.max(floor, value));
  return {
    scrapeInterval,
    evaluationInterval,
    rateWindow: duration(rate),
    ratioWindow: atLeast(300, rate),
    eventWindow: atLeast(300, rate),
    rolloutTail: atLeast(300, rate),
    baselineWindow: '1h',
    deployAlertFor: atLeast(120, 2 * seconds(evaluationInterval)),
    shutdownAlertFor: '0m',
  };
}

const KEYS: Record<keyof PackUserConfig, string> = {
  scrapeInterval: 'duration', evaluationInterval: 'duration', sources: 'source ids', sourceMatchers: 'object', albPeriodSeconds: 'number',
  gatewayCodes: 'codes', countClasses: 'boolean', gatewayCodeChoices: 'codes', clusterLabel: 'label', kubeStateMetricsSelector: 'string',
  gracefulOtelSelector: 'string', labels: 'object', serviceFromDeployment: 'object', rolloutReasons: 'strings', thresholds: 'object',
  windows: 'object', alertPrefix: 'string', runbookBaseUrl: 'string', dashboards: 'object',
};

function fail(key: string, value: unknown, accepted: string): never {
  throw new PackConfigError(`pack config: ${key} = ${JSON.stringify(value)} is not valid; expected ${accepted}`);
}

function checkDuration(key: string, value: unknown): string {
  if (typeof value !== 'string') fail(key, value, 'a Prometheus duration such as "30s" or "1m"');
  try {
    if (seconds(value) >= 0) return value;
  } catch {
    // reported below
  }
  return fail(key, value, 'a Prometheus duration such as "30s" or "1m"');
}

function checkObject<T extends object>(key: string, value: unknown, defaults: T, check: (k: string, v: unknown) => void): Partial<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, value, 'an object');
  for (const [k, v] of Object.entries(value)) {
    if (!(k in defaults)) fail(`${key}.${k}`, v, `one of the keys ${Object.keys(defaults).join(', ')}`);
    check(`${key}.${k}`, v);
  }
  return value as Partial<T>;
}

const isString = (key: string, v: unknown) => (typeof v === 'string' ? v : fail(key, v, 'a string'));
const isStrings = (key: string, v: unknown, what = 'a list of strings') =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '') ? (v as string[]) : fail(key, v, what);
const CODE = /^(?:[1-5][0-9][0-9]|[1-5]xx)$/;

/** Resolves a parsed config file (or `{}`) into the full config; throws PackConfigError. */
export function resolveConfig(input: unknown = {}): PackConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('(top level)', input, 'a JSON object');
  const user = input as PackUserConfig;
  for (const key of Object.keys(user)) if (!(key in KEYS)) fail(key, (user as Record<string, unknown>)[key], `one of the keys ${Object.keys(KEYS).join(', ')}`);

  const scrape = user.scrapeInterval === undefined ? '30s' : checkDuration('scrapeInterval', user.scrapeInterval);
  const evaluation = user.evaluationInterval === undefined ? scrape : checkDuration('evaluationInterval', user.evaluationInterval);
  const timings = timingsFor(scrape, evaluation);
  if (user.windows !== undefined) Object.assign(timings, checkObject('windows', user.windows, timings, checkDuration));
  if (seconds(timings.rateWindow) < 2 * seconds(scrape)) fail('windows.rateWindow', timings.rateWindow, `at least twice the scrape interval (${scrape}); 4 times is safe`);

  const known = SOURCES.map((s) => s.id);
  const enabled = user.sources === undefined ? known : isStrings('sources', user.sources, `a list of source ids from ${known.join(', ')}`);
  for (const id of enabled) if (!known.includes(id)) fail('sources', user.sources, `source ids from ${known.join(', ')}`);
  const matchers = user.sourceMatchers === undefined ? {} : checkObject('sourceMatchers', user.sourceMatchers, Object.fromEntries(known.map((k) => [k, ''])), isString);
  const period = user.albPeriodSeconds ?? 60;
  if (!Number.isInteger(period) || period <= 0) fail('albPeriodSeconds', period, 'a positive whole number of seconds (YACE `period`)');
  const sources = SOURCES.filter((s) => enabled.includes(s.id)).map((s) => {
    const extra = matchers[s.id];
    const withMatchers = extra ? { ...s, matchers: [s.matchers, extra].filter(Boolean).join(', ') } : { ...s };
    return withMatchers.kind === 'periodGauge' ? { ...withMatchers, periodSeconds: period } : withMatchers;
  });

  const codes = user.gatewayCodes === undefined ? ['502'] : isStrings('gatewayCodes', user.gatewayCodes);
  for (const c of codes) if (!CODE.test(c)) fail('gatewayCodes', user.gatewayCodes, 'status codes such as "502" or classes such as "5xx"');
  const countClasses = user.countClasses ?? true;
  if (typeof countClasses !== 'boolean') fail('countClasses', countClasses, 'true or false');

  const labels = { namespace: 'namespace', service: 'job', instance: 'pod' };
  if (user.labels !== undefined) Object.assign(labels, checkObject('labels', user.labels, labels, isString));
  const mapping = { regex: '(.*)', replacement: '$1' };
  if (user.serviceFromDeployment !== undefined) Object.assign(mapping, checkObject('serviceFromDeployment', user.serviceFromDeployment, mapping, isString));
  const thresholds = { ...THRESHOLDS };
  if (user.thresholds !== undefined) {
    Object.assign(thresholds, checkObject('thresholds', user.thresholds, thresholds, (k, v) => (typeof v === 'number' && v >= 0 ? v : fail(k, v, 'a number >= 0'))));
  }
  const dashboards = { uidPrefix: 'graceful-otel', tags: ['graceful-otel'], refresh: '30s', timeFrom: 'now-3h' };
  if (user.dashboards !== undefined) Object.assign(dashboards, checkObject('dashboards', user.dashboards, dashboards, () => undefined));
  const clusterLabel = user.clusterLabel === undefined ? '' : isString('clusterLabel', user.clusterLabel);
  if (clusterLabel !== '' && !/^[a-zA-Z_]\w*$/.test(clusterLabel)) fail('clusterLabel', clusterLabel, 'a Prometheus label name such as "cluster"');

  return {
    alertPrefix: user.alertPrefix === undefined ? 'GracefulOtel' : isString('alertPrefix', user.alertPrefix),
    runbookBaseUrl: user.runbookBaseUrl === undefined ? 'https://github.com/graceful-otel/graceful-otel/blob/main/docs/runbooks' : isString('runbookBaseUrl', user.runbookBaseUrl),
    labels,
    clusterLabel,
    otelMatchers: user.gracefulOtelSelector === undefined ? '' : isString('gracefulOtelSelector', user.gracefulOtelSelector),
    ksmMatchers: user.kubeStateMetricsSelector === undefined ? '' : isString('kubeStateMetricsSelector', user.kubeStateMetricsSelector),
    gatewayCodes: codes,
    countClasses,
    gatewayCodeChoices: user.gatewayCodeChoices === undefined ? ['502', '503', '504', '5xx'] : isStrings('gatewayCodeChoices', user.gatewayCodeChoices),
    thresholds,
    rollout: {
      reasons: user.rolloutReasons === undefined ? ['ReplicaSetUpdated', 'NewReplicaSetCreated'] : isStrings('rolloutReasons', user.rolloutReasons),
      serviceFromDeployment: mapping,
    },
    sources,
    timings,
    dashboards,
  };
}

/** The codes the rules match: the configured ones, plus their classes when countClasses is on. */
export function matchedCodes(cfg: PackConfig): string[] {
  const classes = cfg.countClasses ? cfg.gatewayCodes.map((c) => `${c[0]}xx`) : [];
  return [...new Set([...cfg.gatewayCodes, ...classes])];
}
