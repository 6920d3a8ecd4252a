// promtool unit-test scenarios, built from the config's timings so the same stories run against
// the default profile (30 s steps) and the lab profile (1 s steps). Every alert gets a firing and
// a silent case. Firing is checked through the ALERTS series (labels incl. severity), silence
// through alert_rule_test with no expected alerts.
import { stringify } from 'yaml';
import type { PackConfig } from '../../pack/config.ts';
import { alertNames, names } from '../../pack/rules.ts';
import { seconds } from '../../pack/promql.ts';

type Values = (number | null)[];
type Labels = Record<string, string>;

interface Check {
  at: number;
  /** Alert expected firing with these labels (besides alertname/alertstate), or silent. */
  alert?: { name: string; labels?: Labels };
  /** A PromQL check: exact samples expected. */
  expr?: { expr: string; samples: { labels: Labels; value: number }[] };
}

export interface Scenario {
  name: string;
  series: { metric: string; labels: Labels; values: Values }[];
  checks: Check[];
}

function labelString(metric: string, labels: Labels): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

/** Timeline in steps of the evaluation interval: a pre-rollout phase, then the rollout. */
export function timeline(cfg: PackConfig) {
  const step = seconds(cfg.timings.evaluationInterval);
  const steps = (d: string) => Math.ceil(seconds(d) / step);
  const rate = steps(cfg.timings.rateWindow);
  const pre = Math.max(20, 2 * rate);
  const rollout = rate + steps(cfg.timings.deployAlertFor) + 6;
  const total = pre + rollout;
  const fill = (f: (i: number) => number | null): Values => Array.from({ length: total }, (_, i) => f(i));
  return {
    step,
    pre,
    total,
    last: total - 1,
    /** Counter growing by perSecond in [from, to), absent elsewhere (lazily created when from > 0). */
    counter: (perSecond: number, from = 0, to = total) => fill((i) => (i >= from && i < to ? perSecond * step * (i - from + 1) : null)),
    gauge: (value: number, from = 0, to = total) => fill((i) => (i >= from && i < to ? value : null)),
  };
}

export function buildScenarios(cfg: PackConfig): Scenario[] {
  const t = timeline(cfg);
  const n = names(cfg);
  const a = alertNames(cfg);
  const { namespace: nsL, service: svcL, instance: instL } = cfg.labels;
  const app = { [nsL]: 'shop', [svcL]: 'web', [instL]: 'web-7d9f-abcde' };
  const inRollout = t.pre;

  const nginx = (status: string, values: Values) => ({
    metric: 'nginx_ingress_controller_requests',
    // Scraped without honor_labels: the controller's own labels arrive as exported_*.
    labels: { namespace: 'ingress-nginx', service: 'ingress-nginx-controller', exported_namespace: 'shop', exported_service: 'web', ingress: 'web', status },
    values,
  });
  const condition = (reason: string, values: Values, ns = 'shop', deployment = 'web') => ({
    metric: 'kube_deployment_status_condition',
    labels: { namespace: ns, deployment, condition: 'Progressing', status: 'true', reason },
    values,
  });
  // Steady state before the rollout, ReplicaSetUpdated from the rollout on.
  const rolloutMarker = (ns = 'shop', deployment = 'web') => [
    condition('NewReplicaSetAvailable', t.gauge(1, 0, inRollout), ns, deployment),
    condition('ReplicaSetUpdated', t.gauge(1, inRollout), ns, deployment),
  ];
  const noRollout = [condition('NewReplicaSetAvailable', t.gauge(1))];
  const traffic = nginx('200', t.counter(10));
  const spike = nginx('502', t.counter(2, inRollout)); // first 502 of the pod's life: a new series
  const fires = (name: string, labels: Labels) => ({ at: t.last, alert: { name, labels } });
  const silent = (name: string, at = t.last) => ({ at, alert: { name } });
  const deployFires = (ns = 'shop', service = 'web') => fires(a.deployErrors, { namespace: ns, service, severity: 'critical' });

  const scenarios: Scenario[] = [
    { name: 'rollout with 502s fires the deploy alert', series: [traffic, spike, ...rolloutMarker()], checks: [deployFires()] },
    { name: '502s without a rollout do not fire the deploy alert', series: [traffic, spike, ...noRollout], checks: [silent(a.deployErrors)] },
    { name: 'a rollout without errors stays silent', series: [traffic, ...rolloutMarker()], checks: [silent(a.deployErrors)] },
    {
      name: 'a service that always fails does not page at deploys',
      series: [nginx('200', t.counter(9.5)), nginx('502', t.counter(0.5)), ...rolloutMarker()],
      checks: [silent(a.deployErrors)],
    },
    {
      name: 'scaling alone is not a rollout',
      series: [
        traffic,
        spike,
        ...noRollout,
        // generation bumped by a scale-up, all pods on the current template
        { metric: 'kube_deployment_metadata_generation', labels: { namespace: 'shop', deployment: 'web' }, values: t.gauge(4, 0, inRollout).map((v) => v ?? 5) },
        { metric: 'kube_deployment_status_observed_generation', labels: { namespace: 'shop', deployment: 'web' }, values: t.gauge(4) },
        { metric: 'kube_deployment_status_replicas_updated', labels: { namespace: 'shop', deployment: 'web' }, values: t.gauge(3, 0, inRollout).map((v) => v ?? 5) },
        { metric: 'kube_deployment_status_replicas', labels: { namespace: 'shop', deployment: 'web' }, values: t.gauge(3, 0, inRollout).map((v) => v ?? 5) },
      ],
      checks: [silent(a.deployErrors), { at: t.last, expr: { expr: `count(${n.rolloutProgressing}) or vector(0)`, samples: [{ labels: {}, value: 0 }] } }],
    },
    {
      name: 'old-template pods mark a rollout without the reason label (kube-state-metrics < 2.17)',
      series: [
        traffic,
        spike,
        { metric: 'kube_deployment_status_replicas_updated', labels: { namespace: 'shop', deployment: 'web' }, values: t.gauge(3, 0, inRollout).map((v) => v ?? 1) },
        { metric: 'kube_deployment_status_replicas', labels: { namespace: 'shop', deployment: 'web' }, values: t.gauge(3, 0, inRollout).map((v) => v ?? 4) },
      ],
      checks: [deployFires()],
    },
    {
      name: 'graceful-otel shutdowns mark a rollout without kube-state-metrics',
      // Pods shut down one after another while the rollout proceeds.
      series: [traffic, spike, ...[0, 6].map((offset, i) => ({ metric: 'graceful_shutdown_started_timestamp_seconds', labels: { ...app, [instL]: `web-${i}`, signal: 'SIGTERM' }, values: t.gauge((inRollout + offset) * t.step, inRollout + offset) }))],
      checks: [deployFires()],
    },
    {
      name: 'Envoy-style 503s during a rollout',
      series: [
        { metric: 'envoy_cluster_upstream_rq', labels: { envoy_cluster_name: 'shop/web/8080/da39a3ee5e', envoy_response_code: '200' }, values: t.counter(10) },
        { metric: 'envoy_cluster_upstream_rq', labels: { envoy_cluster_name: 'shop/web/8080/da39a3ee5e', envoy_response_code: '503' }, values: t.counter(2, inRollout) },
        ...rolloutMarker(),
      ],
      // Fires only when 503 is in the code set (see the test that runs this with other codes).
      checks: [cfg.gatewayCodes.includes('503') ? deployFires() : silent(a.deployErrors)],
    },
    {
      name: 'Caddy 2.6 proxy errors with override labels (non-Kubernetes)',
      series: [
        { metric: 'caddy_http_request_duration_seconds_count', labels: { server: 'srv0', handler: 'reverse_proxy', code: '200', method: 'GET', graceful_namespace: 'lab', graceful_service: 'app' }, values: t.counter(10) },
        { metric: 'caddy_http_request_errors_total', labels: { server: 'srv0', handler: 'reverse_proxy', graceful_namespace: 'lab', graceful_service: 'app' }, values: t.counter(2, inRollout) },
        ...rolloutMarker('lab', 'app'),
      ],
      checks: [deployFires('lab', 'app')],
    },
  ];

  // Shutdown alerts: graceful-otel's series appear during the shutdown (lazily or via a Pushgateway).
  const at = t.pre;
  const during = (v: number) => t.gauge(v, at, at + 3);
  const started = { metric: 'graceful_shutdown_started_timestamp_seconds', labels: { ...app, signal: 'SIGTERM' }, values: during(at * t.step) };
  const forced = (values: Values) => ({ metric: 'graceful_shutdown_forced_cancellations_total', labels: { ...app, kind: 'request' }, values });
  const drain = (sum: number) => [
    { metric: 'graceful_shutdown_drain_duration_seconds_sum', labels: { ...app, outcome: 'forced' }, values: during(sum) },
    { metric: 'graceful_shutdown_drain_duration_seconds_count', labels: { ...app, outcome: 'forced' }, values: during(1) },
    { metric: 'graceful_shutdown_grace_period_seconds', labels: app, values: t.gauge(60) },
  ];
  const exitCode = (code: number, startedAt: number) => [
    { metric: 'graceful_shutdown_exit_code', labels: app, values: t.gauge(code) },
    { metric: 'graceful_shutdown_started_timestamp_seconds', labels: { ...app, signal: 'SIGTERM' }, values: t.gauge(startedAt) },
  ];
  const after = at + 1;
  const shutdownFires = (name: string, extra: Labels = {}) => ({ at: after, alert: { name, labels: { [nsL]: 'shop', [svcL]: 'web', severity: 'warning', ...extra } } });

  const pod = { namespace: 'shop', pod: 'web-7d9f-abcde', container: 'app' };
  const sigkillSeries = (reason: string): Scenario['series'] => [
    { metric: 'kube_pod_container_status_restarts_total', labels: pod, values: t.gauge(0, 0, inRollout + 1).map((v) => v ?? 1) },
    { metric: 'kube_pod_container_status_last_terminated_exitcode', labels: pod, values: t.gauge(137, inRollout + 1) },
    { metric: 'kube_pod_container_status_last_terminated_reason', labels: { ...pod, reason }, values: t.gauge(1, inRollout + 1) },
    { metric: 'kube_pod_owner', labels: { namespace: 'shop', pod: pod.pod, owner_kind: 'ReplicaSet', owner_name: 'web-7d9f', owner_is_controller: 'true' }, values: t.gauge(1) },
    { metric: 'kube_replicaset_owner', labels: { namespace: 'shop', replicaset: 'web-7d9f', owner_kind: 'Deployment', owner_name: 'web', owner_is_controller: 'true' }, values: t.gauge(1) },
  ];
  const sigkillAt = inRollout + 2;

  scenarios.push(
    { name: 'forced cancellations reported at shutdown fire', series: [started, forced(during(3))], checks: [shutdownFires(a.forced, { kind: 'request' })] },
    { name: 'zero forced cancellations stay silent', series: [started, forced(t.gauge(0))], checks: [silent(a.forced, after)] },
    { name: 'an old pushed forced-cancellation count stays silent', series: [forced(t.gauge(3))], checks: [silent(a.forced)] },
    { name: 'draining for 50 s of a 60 s grace period fires', series: [started, ...drain(50)], checks: [shutdownFires(a.drain, { [instL]: app[instL] as string })] },
    { name: 'draining for 20 s of a 60 s grace period stays silent', series: [started, ...drain(20)], checks: [silent(a.drain, after)] },
    { name: 'SIGKILL during a rollout fires', series: [...sigkillSeries('Error'), ...rolloutMarker()], checks: [{ at: sigkillAt, alert: { name: a.sigkill, labels: { namespace: 'shop', deployment: 'web', severity: 'warning' } } }] },
    { name: 'OOMKilled during a rollout stays silent', series: [...sigkillSeries('OOMKilled'), ...rolloutMarker()], checks: [silent(a.sigkill, sigkillAt)] },
    { name: 'SIGKILL without a rollout stays silent', series: [...sigkillSeries('Error'), ...noRollout], checks: [silent(a.sigkill, sigkillAt)] },
    { name: 'a recent shutdown with exit code 1 fires', series: exitCode(1, at * t.step), checks: [shutdownFires(a.exitCode, { [instL]: app[instL] as string })] },
    { name: 'exit code 0 stays silent', series: exitCode(0, at * t.step), checks: [silent(a.exitCode, after)] },
    { name: 'an old pushed exit code 1 stays silent', series: exitCode(1, 0), checks: [silent(a.exitCode)] },
  );
  return scenarios;
}

/** promtool `test rules` file for the scenarios. */
export function promtoolTestFile(cfg: PackConfig, ruleFiles: string[], scenarios: Scenario[]): string {
  const t = timeline(cfg);
  const time = (step: number) => `${step * t.step}s`;
  const tests = scenarios.map((s) => ({
    name: s.name,
    interval: cfg.timings.evaluationInterval,
    input_series: s.series.map((x) => ({ series: labelString(x.metric, x.labels), values: x.values.map((v) => (v === null ? '_' : String(v))).join(' ') })),
    alert_rule_test: s.checks.filter((c) => c.alert && !c.alert.labels).map((c) => ({ eval_time: time(c.at), alertname: c.alert?.name, exp_alerts: [] })),
    promql_expr_test: s.checks.flatMap((c) => {
      if (c.expr) return [{ expr: c.expr.expr, eval_time: time(c.at), exp_samples: c.expr.samples.map((x) => ({ labels: labelString('', x.labels), value: x.value })) }];
      if (!c.alert?.labels) return [];
      const labels = { alertname: c.alert.name, alertstate: 'firing', ...c.alert.labels };
      return [{ expr: `ALERTS{alertname="${c.alert.name}", alertstate="firing"}`, eval_time: time(c.at), exp_samples: [{ labels: labelString('ALERTS', labels), value: 1 }] }];
    }),
  }));
  return stringify({ rule_files: ruleFiles, evaluation_interval: cfg.timings.evaluationInterval, tests }, { lineWidth: 0 });
}
