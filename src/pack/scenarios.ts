// promtool unit-test scenarios, built from the config: series at the config's scrape interval,
// shaped exactly like each enabled exporter's output (sources.ts `example`), rules evaluated at its
// evaluation interval. Every alert gets firing and silent cases; every enabled source must join a
// rollout. The generator ships them as tests/graceful-otel.rules.test.yaml (promtool test rules).
import { METRIC } from '../telemetry/names.js';
import { matchedCodes } from './config.js';
import { seconds } from './promql.js';
import { alertNames, names } from './rules.js';
import { OVERRIDE } from './sources.js';
import type { ExampleSeries, LbSource, PackConfig } from './types.js';
import { toYaml } from './yaml.js';

type Value = number | null;
type Labels = Record<string, string>;
export interface Series {
  metric: string;
  labels: Labels;
  values: Value[];
}
interface Check {
  /** Seconds since the start. */
  at: number;
  /** Alert expected firing with these labels (besides alertname/alertstate), or silent. */
  alert?: { name: string; labels?: Labels };
  /** A PromQL check: exact samples expected. */
  expr?: { expr: string; samples: { labels: Labels; value: number }[] };
}
export interface Scenario {
  name: string;
  series: Series[];
  checks: Check[];
}

const MIN = 60;
/** Steady traffic before the rollout: long enough for a baseline. */
const PRE = 12 * MIN;
/** The Deployment's Progressing condition is on for this long. */
const ROLLOUT = 6 * MIN;
const CHECK = PRE + ROLLOUT;
const END = CHECK + MIN;
const NS = 'shop';
const SVC = 'web';

/** Requests (or errors) per second at second `s`. */
type Rate = (s: number) => number;
const constant = (r: number, from = 0, to = END): Rate => (s) => (s >= from && s < to ? r : 0);
const plus = (...rates: Rate[]): Rate => (s) => rates.reduce((sum, r) => sum + r(s), 0);

function timeline(cfg: PackConfig) {
  const step = seconds(cfg.timings.scrapeInterval);
  const count = Math.floor(END / step) + 1;
  const at = (f: (s: number) => Value): Value[] => Array.from({ length: count }, (_, i) => f(i * step));
  return {
    step,
    /** A counter of `rate` (absent until its first increment when `lazy`, as per-code series are). */
    counter(rate: Rate, lazy = true): Value[] {
      let total = 0;
      return at((s) => {
        total += s === 0 ? 0 : rate(s - step) * step;
        return lazy && total === 0 ? null : Math.round(total * 1000) / 1000;
      });
    },
    /** A per-period sum as YACE exports it: NaN for periods without a datapoint unless nilToZero. */
    periodSum(rate: Rate, period: number, nilToZero: boolean): Value[] {
      return at((s) => (rate(s) > 0 ? rate(s) * period : nilToZero ? 0 : Number.NaN));
    },
    gauge: (value: number, from = 0, to = END + 1): Value[] => at((s) => (s >= from && s < to ? value : null)),
    steps: (f: (s: number) => Value) => at(f),
  };
}

/** The load-balancer series of `src` for `ok` and `errors` request rates of shop/web. */
function lbTraffic(cfg: PackConfig, src: LbSource, ok: Rate, errors: Rate, opts: { nilToZero?: boolean; ns?: string; svc?: string } = {}): Series[] {
  const t = timeline(cfg);
  const [ns, svc] = [opts.ns ?? NS, opts.svc ?? SVC];
  const withValues = (examples: ExampleSeries[], values: Value[]) => examples.map((e) => ({ ...e, values }));
  if (src.kind === 'periodGauge') {
    const sum = (rate: Rate) => t.periodSum(rate, src.periodSeconds, opts.nilToZero ?? false);
    return [...withValues(src.example(ns, svc, 'total'), sum(plus(ok, errors))), ...withValues(src.example(ns, svc, '502'), sum(errors))];
  }
  // HAProxy exports every class from the start; the others create a code's series on first use.
  const lazy = !src.classOnly;
  const code = (c: string) => (src.classOnly ? `${c[0]}xx` : c);
  return [...withValues(src.example(ns, svc, code('200')), t.counter(ok, lazy)), ...withValues(src.example(ns, svc, code('502')), t.counter(errors, lazy))];
}

export function buildScenarios(cfg: PackConfig): Scenario[] {
  const t = timeline(cfg);
  const n = names(cfg);
  const a = alertNames(cfg);
  const { namespace: nsL, service: svcL, instance: instL } = cfg.labels;
  const primary = cfg.sources[0];
  if (!primary) return [];
  const ksm = (metric: string, labels: Labels, values: Value[]): Series => ({ metric, labels, values });
  const condition = (reason: string, from: number, to: number, ns = NS, deployment = SVC) =>
    ksm('kube_deployment_status_condition', { namespace: ns, deployment, condition: 'Progressing', status: 'true', reason }, t.gauge(1, from, to));
  /** kube-state-metrics for shop/web: steady, with a rollout from PRE for ROLLOUT seconds when `rollout`. */
  const deployment = (rollout: boolean, ns = NS, name = SVC): Series[] => [
    ksm('kube_service_info', { namespace: ns, service: name, cluster_ip: '10.96.0.17', uid: 'b8e1c2a4' }, t.gauge(1)),
    ksm('kube_deployment_status_replicas', { namespace: ns, deployment: name }, t.gauge(3)),
    ksm('kube_deployment_status_replicas_updated', { namespace: ns, deployment: name }, t.steps((s) => (rollout && s >= PRE && s < PRE + ROLLOUT ? 1 : 3))),
    ...(rollout
      ? [condition('NewReplicaSetAvailable', 0, PRE, ns, name), condition('ReplicaSetUpdated', PRE, PRE + ROLLOUT, ns, name), condition('NewReplicaSetAvailable', PRE + ROLLOUT, END + 1, ns, name)]
      : [condition('NewReplicaSetAvailable', 0, END + 1, ns, name)]),
  ];
  const fires = (at = CHECK, ns = NS, service = SVC): Check => ({ at, alert: { name: a.deployErrors, labels: { namespace: ns, service, severity: 'critical' } } });
  const silent = (name = a.deployErrors, at = CHECK): Check => ({ at, alert: { name } });
  const counts = (src: LbSource) => !(src.kind === 'counter' && src.classOnly) || matchedCodes(cfg).includes('5xx');

  const ok = constant(10);
  const spike = constant(1, PRE, PRE + ROLLOUT);
  /** Four 20 s bursts 90 s apart: each dying pod's moment. */
  const bursts: Rate = (s) => (s >= PRE && s < PRE + 4 * 90 && (s - PRE) % 90 < 20 ? 5 : 0);
  const lb = (okRate: Rate, errRate: Rate) => lbTraffic(cfg, primary, okRate, errRate);
  const pod = (i: number) => ({ [nsL]: NS, [svcL]: SVC, [instL]: `web-7d9f-${i}` });
  const shutdownsAt = (times: number[]) => times.map((s, i) => ({ metric: METRIC.shutdownStarted, labels: { ...pod(i), signal: 'SIGTERM' }, values: t.gauge(s, s, s + 2 * MIN) }));
  const baselineIs = (value: number, at = CHECK): Check => ({ at, expr: { expr: `${n.gatewayErrorBaseline} + 0`, samples: [{ labels: { namespace: NS, service: SVC }, value }] } });

  const scenarios: Scenario[] = [
    { name: 'a rollout with gateway errors fires', series: [...lb(ok, spike), ...deployment(true)], checks: [fires()] },
    { name: 'bursty failures (four bursts 90 s apart) fire', series: [...lb(ok, bursts), ...deployment(true)], checks: [fires(PRE + 5 * MIN)] },
    { name: 'gateway errors without a rollout stay silent', series: [...lb(ok, spike), ...deployment(false)], checks: [silent()] },
    { name: 'a rollout without errors stays silent', series: [...lb(ok, constant(0)), ...deployment(true)], checks: [silent(), baselineIs(0)] },
    { name: 'a service that always fails at the same rate does not page at deploys', series: [...lb(constant(9.5), constant(0.5)), ...deployment(true)], checks: [silent()] },
    {
      name: 'an idle period (0/0) in the baseline window does not blind the alert',
      series: [...lb(plus(constant(10, 0, 4 * MIN), constant(10, 8 * MIN)), spike), ...deployment(true)],
      checks: [fires(), baselineIs(0)],
    },
    {
      name: 'a short error burst before the rollout does not suppress the spike',
      series: [...lb(ok, plus(constant(2, PRE - 4 * MIN, PRE - 3 * MIN), spike)), ...deployment(true)],
      checks: [fires()],
    },
    {
      name: 'a scale-in with graceful shutdowns is no rollout where kube-state-metrics says so',
      series: [...lb(ok, spike), ...deployment(false), ...shutdownsAt([PRE, PRE + 30])],
      checks: [silent()],
    },
    {
      // kube_service_info stays: Traefik's names cannot be split without it.
      name: 'graceful-otel shutdowns mark a rollout without Deployment series from kube-state-metrics',
      series: [...lb(ok, spike), ...deployment(false).filter((s) => s.metric === 'kube_service_info'), ...shutdownsAt([PRE, PRE + 2 * MIN, PRE + 4 * MIN])],
      checks: [fires()],
    },
    {
      name: 'old-template pods mark a rollout without the reason label (kube-state-metrics < 2.17)',
      series: [...lb(ok, spike), ...deployment(true).filter((s) => s.metric !== 'kube_deployment_status_condition')],
      checks: [fires()],
    },
    {
      name: 'scaling alone is not a rollout',
      series: [...lb(ok, spike), ...deployment(false).filter((s) => !s.metric.startsWith('kube_deployment_status_replicas')),
        ksm('kube_deployment_status_replicas', { namespace: NS, deployment: SVC }, t.steps((s) => (s < PRE ? 3 : 5))),
        ksm('kube_deployment_status_replicas_updated', { namespace: NS, deployment: SVC }, t.steps((s) => (s < PRE ? 3 : 5)))],
      checks: [silent(), { at: CHECK, expr: { expr: `count(${n.rolloutProgressing}) or vector(0)`, samples: [{ labels: {}, value: 0 }] } }],
    },
  ];

  // Every enabled source joins a rollout from its exporter's default labels (and stays silent without one).
  for (const src of cfg.sources) {
    scenarios.push(
      { name: `${src.id}: a rollout with gateway errors ${counts(src) ? 'fires' : 'stays silent (classes not counted)'}`, series: [...lbTraffic(cfg, src, ok, spike), ...deployment(true)], checks: [counts(src) ? fires() : silent()] },
      { name: `${src.id}: gateway errors without a rollout stay silent`, series: [...lbTraffic(cfg, src, ok, spike), ...deployment(false)], checks: [silent()] },
    );
  }
  scenarios.push(...sourceVariants(cfg, { ok, spike, deployment, fires, silent }));
  scenarios.push(...shutdownScenarios(cfg));
  return scenarios;
}

interface Helpers {
  ok: Rate;
  spike: Rate;
  deployment(rollout: boolean): Series[];
  fires(): Check;
  silent(): Check;
}

/** Exporter set-ups other than the defaults each source's example shows. */
function sourceVariants(cfg: PackConfig, h: Helpers): Scenario[] {
  const t = timeline(cfg);
  const codes = matchedCodes(cfg);
  const has = (id: string) => cfg.sources.some((s) => s.id === id);
  const out: Scenario[] = [];
  const counter = (metric: string, labels: Labels, rate: Rate, lazy = true): Series => ({ metric, labels, values: t.counter(rate, lazy) });
  const two = (metric: string, labels: (code: string) => Labels, okCode: string, errCode: string) => [counter(metric, labels(okCode), h.ok), counter(metric, labels(errCode), h.spike)];
  const scenario = (name: string, series: Series[], expectFire: boolean) => out.push({ name, series: [...series, ...h.deployment(true)], checks: [expectFire ? h.fires() : h.silent()] });

  if (has('ingress-nginx')) {
    const labels = (status: string) => ({ namespace: 'ingress-nginx', service: 'ingress-nginx-controller-metrics', exported_namespace: NS, exported_service: SVC, ingress: SVC, status });
    scenario('ingress-nginx with --report-status-classes (status="5xx")', two('nginx_ingress_controller_requests', labels, '2xx', '5xx'), codes.includes('5xx'));
  }
  if (has('caddy')) {
    const labels = (code: string) => ({ server: 'srv0', handler: 'reverse_proxy', code, method: 'GET', [OVERRIDE.namespace]: NS, [OVERRIDE.service]: SVC });
    scenario('Caddy with the proxy as a top-level handler (newer Caddy: the 502 has a code)', two('caddy_http_request_duration_seconds_count', labels, '200', '502'), true);
  }
  if (has('kong')) {
    const labels = (code: string) => ({ service: `httproute.${NS}.${SVC}.0`, route: `httproute.${NS}.${SVC}.0.0`, code, source: 'service', workspace: 'default' });
    scenario('Kong behind the Gateway API (httproute.<ns>.<route>.<rule>)', two('kong_http_requests_total', labels, '200', '502'), true);
  }
  if (has('envoy')) {
    const labels = (code: string) => ({ envoy_cluster_name: `httproute/${NS}/${SVC}/rule/0`, envoy_response_code: code });
    scenario('Envoy Gateway (httproute/<ns>/<route>/rule/N) answering 503', two('envoy_cluster_upstream_rq', labels, '200', '503'), codes.includes('503'));
  }
  if (has('traefik')) {
    // '-' inside both names: only the kube_service_info lookup can split shop-web-api-80.
    const labels = (code: string) => ({ service: `${NS}-${SVC}-api-80@kubernetescrd`, code, method: 'GET', protocol: 'http' });
    out.push({
      name: 'Traefik with dashes in the service name',
      series: [...two('traefik_service_requests_total', labels, '200', '502'),
        ...h.deployment(true).map((s) => ({ ...s, labels: { ...s.labels, ...(s.labels.deployment ? { deployment: `${SVC}-api` } : {}), ...(s.labels.service ? { service: `${SVC}-api` } : {}) } }))],
      checks: [{ ...h.fires(), alert: { name: alertNames(cfg).deployErrors, labels: { namespace: NS, service: `${SVC}-api`, severity: 'critical' } } }],
    });
  }
  const alb = cfg.sources.find((s) => s.id === 'aws-alb');
  if (alb) out.push({ name: 'AWS ALB through YACE with nilToZero: true', series: [...lbTraffic(cfg, alb, h.ok, h.spike, { nilToZero: true }), ...h.deployment(true)], checks: [h.fires()] });
  return out;
}

/** Shutdown alerts: graceful-otel's series appear during the shutdown (lazily or via a Pushgateway). */
function shutdownScenarios(cfg: PackConfig): Scenario[] {
  const t = timeline(cfg);
  const a = alertNames(cfg);
  const { namespace: nsL, service: svcL, instance: instL } = cfg.labels;
  const app = { [nsL]: NS, [svcL]: SVC, [instL]: 'web-7d9f-abcde' };
  const at = PRE;
  const after = at + t.step;
  const during = (v: number) => t.gauge(v, at, at + 3 * t.step);
  const started: Series = { metric: METRIC.shutdownStarted, labels: { ...app, signal: 'SIGTERM' }, values: during(at) };
  const forced = (values: Value[]): Series => ({ metric: METRIC.forcedCancellations, labels: { ...app, kind: 'request' }, values });
  const drain = (sum: number): Series[] => [
    { metric: `${METRIC.drainDuration}_sum`, labels: { ...app, outcome: 'forced' }, values: during(sum) },
    { metric: `${METRIC.drainDuration}_count`, labels: { ...app, outcome: 'forced' }, values: during(1) },
    { metric: METRIC.gracePeriod, labels: app, values: t.gauge(60) },
  ];
  const exitCode = (code: number, startedAt: number): Series[] => [
    { metric: METRIC.exitCode, labels: app, values: t.gauge(code) },
    { metric: METRIC.shutdownStarted, labels: { ...app, signal: 'SIGTERM' }, values: t.gauge(startedAt) },
  ];
  const fires = (name: string, extra: Labels = {}): Check => ({ at: after, alert: { name, labels: { [nsL]: NS, [svcL]: SVC, severity: 'warning', ...extra } } });
  const silent = (name: string, when = after): Check => ({ at: when, alert: { name } });

  const pod = { namespace: NS, pod: 'web-7d9f-abcde', container: 'app' };
  const sigkillAt = PRE + 2 * t.step;
  const sigkillSeries = (reason: string, rollout: boolean): Series[] => [
    { metric: 'kube_pod_container_status_restarts_total', labels: pod, values: t.steps((s) => (s <= PRE ? 0 : 1)) },
    { metric: 'kube_pod_container_status_last_terminated_exitcode', labels: pod, values: t.gauge(137, PRE + t.step) },
    { metric: 'kube_pod_container_status_last_terminated_reason', labels: { ...pod, reason }, values: t.gauge(1, PRE + t.step) },
    { metric: 'kube_pod_owner', labels: { namespace: NS, pod: pod.pod, owner_kind: 'ReplicaSet', owner_name: 'web-7d9f', owner_is_controller: 'true' }, values: t.gauge(1) },
    { metric: 'kube_replicaset_owner', labels: { namespace: NS, replicaset: 'web-7d9f', owner_kind: 'Deployment', owner_name: SVC, owner_is_controller: 'true' }, values: t.gauge(1) },
    { metric: 'kube_deployment_status_condition', labels: { namespace: NS, deployment: SVC, condition: 'Progressing', status: 'true', reason: rollout ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable' }, values: t.gauge(1) },
  ];
  return [
    { name: 'forced cancellations reported at shutdown fire', series: [started, forced(during(3))], checks: [fires(a.forced, { kind: 'request' })] },
    { name: 'zero forced cancellations stay silent', series: [started, forced(t.gauge(0))], checks: [silent(a.forced)] },
    { name: 'an old pushed forced-cancellation count stays silent', series: [forced(t.gauge(3))], checks: [silent(a.forced, END)] },
    { name: 'draining for 50 s of a 60 s grace period fires', series: [started, ...drain(50)], checks: [fires(a.drain, { [instL]: app[instL] as string })] },
    { name: 'draining for 20 s of a 60 s grace period stays silent', series: [started, ...drain(20)], checks: [silent(a.drain)] },
    { name: 'SIGKILL during a rollout fires', series: sigkillSeries('Error', true), checks: [{ at: sigkillAt, alert: { name: a.sigkill, labels: { namespace: NS, deployment: SVC, severity: 'warning' } } }] },
    { name: 'OOMKilled during a rollout stays silent', series: sigkillSeries('OOMKilled', true), checks: [silent(a.sigkill, sigkillAt)] },
    { name: 'SIGKILL without a rollout stays silent', series: sigkillSeries('Error', false), checks: [silent(a.sigkill, sigkillAt)] },
    { name: 'a recent shutdown with exit code 1 fires', series: exitCode(1, at), checks: [fires(a.exitCode, { [instL]: app[instL] as string })] },
    { name: 'exit code 0 stays silent', series: exitCode(0, at), checks: [silent(a.exitCode)] },
    { name: 'an old pushed exit code 1 stays silent', series: exitCode(1, 0), checks: [silent(a.exitCode, END)] },
  ];
}

function labelString(metric: string, labels: Labels): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

const formatValue = (v: Value) => (v === null ? '_' : Number.isNaN(v) ? 'NaN' : String(v));

/** promtool `test rules` file for the scenarios. */
export function promtoolTestFile(cfg: PackConfig, ruleFiles: string[], scenarios: Scenario[]): string {
  const time = (s: number) => `${s}s`;
  const tests = scenarios.map((s) => ({
    name: s.name,
    interval: cfg.timings.scrapeInterval,
    input_series: s.series.map((x) => ({ series: labelString(x.metric, x.labels), values: x.values.map(formatValue).join(' ') })),
    alert_rule_test: s.checks.filter((c) => c.alert && !c.alert.labels).map((c) => ({ eval_time: time(c.at), alertname: c.alert?.name, exp_alerts: [] })),
    promql_expr_test: s.checks.flatMap((c) => {
      if (c.expr) return [{ expr: c.expr.expr, eval_time: time(c.at), exp_samples: c.expr.samples.map((x) => ({ labels: labelString('', x.labels), value: x.value })) }];
      if (!c.alert?.labels) return [];
      const labels = { alertname: c.alert.name, alertstate: 'firing', ...c.alert.labels };
      return [{ expr: `ALERTS{alertname="${c.alert.name}", alertstate="firing"}`, eval_time: time(c.at), exp_samples: [{ labels: labelString('ALERTS', labels), value: 1 }] }];
    }),
  }));
  const header = '# promtool unit tests for the rules generated from the same config: promtool test rules <this file>\n';
  return header + toYaml({ rule_files: ruleFiles, evaluation_interval: cfg.timings.evaluationInterval, tests });
}
