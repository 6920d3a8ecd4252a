// Recording and alerting rules, built from the one config. The generator writes them as a plain
// Prometheus rules file and as a PrometheusRule manifest; the tests feed the plain file to promtool.
import type { CounterSource, LbSource, PackConfig, PeriodGaugeSource } from './config.ts';
import {
  alternation,
  applySteps,
  increaseWithNew,
  labelReplace,
  rateWithNew,
  renameLabel,
  seconds,
  sel,
  str,
} from './promql.ts';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning' | 'info' };
  annotations: { summary: string; description: string; runbook_url: string };
}
export interface RuleGroup<R> {
  name: string;
  interval: string;
  rules: R[];
}

/** Every series name the pack records; dashboards and alerts read these. */
export function names(cfg: PackConfig) {
  const { rateWindow: r, eventWindow: e } = cfg.timings;
  return {
    lbRequests: `graceful:lb_requests:rate${r}`,
    gatewayErrorRatio: `graceful:lb_gateway_errors:ratio_rate${r}`,
    gatewayErrorBaseline: `graceful:lb_gateway_errors:ratio_rate${r}:baseline`,
    rolloutProgressing: 'graceful:rollout:progressing',
    rolloutActive: 'graceful:rollout:active',
    shutdownChurn: 'graceful:rollout_shutdowns:active',
    serviceRollout: 'graceful:rollout:service_active',
    forced: `graceful:shutdown_forced_cancellations:increase${e}`,
    drainBucket: `graceful:shutdown_drain_duration_seconds_bucket:increase${e}`,
    drainSum: `graceful:shutdown_drain_duration_seconds_sum:increase${e}`,
    drainCount: `graceful:shutdown_drain_duration_seconds_count:increase${e}`,
    hookSum: `graceful:shutdown_hook_duration_seconds_sum:increase${e}`,
    hookCount: `graceful:shutdown_hook_duration_seconds_count:increase${e}`,
    podDeployment: 'graceful:pod_owner:deployment',
    sigkill: `graceful:container_sigkill_restarts:increase${e}`,
  };
}

/** Alert names (the runbooks in docs/runbooks are named after them). */
export function alertNames(cfg: PackConfig) {
  const p = cfg.alertPrefix;
  return {
    deployErrors: `${p}DeployGatewayErrors`,
    forced: `${p}ForcedCancellations`,
    drain: `${p}DrainNearGracePeriod`,
    sigkill: `${p}SigkillDuringRollout`,
    exitCode: `${p}NonZeroExitCode`,
  };
}

const LB_KEYS = 'namespace, service, code';

function normalise(src: LbSource, expr: string): string {
  const withNamespace = applySteps(expr, 'namespace', src.namespace);
  return `sum by (${LB_KEYS}) (${applySteps(withNamespace, 'service', src.service)})`;
}

function counterSourceExpr(cfg: PackConfig, src: CounterSource): string {
  const w = cfg.timings.rateWindow;
  const main = normalise(src, renameLabel(rateWithNew(sel(src.metric, src.matchers), w), src.codeLabel, 'code'));
  if (!src.extra?.length) return main;
  // Missing-as-zero sum: `a + b` where both exist, plus whatever only one side has.
  return src.extra.reduce((acc, extra) => {
    const side = normalise(src, labelReplace(rateWithNew(sel(extra.metric, extra.matchers), w), 'code', { value: extra.code }));
    return `(${acc} + ${side}) or ${acc} or ${side}`;
  }, main);
}

function periodGaugeExpr(cfg: PackConfig, src: PeriodGaugeSource): string {
  // Per-period sums: the latest value divided by the period is a per-second rate. Never rate().
  const latest = (metric: string) => `avg_over_time(${sel(metric, src.matchers)}[${src.lookback}])`;
  const total = latest(src.totalMetric);
  const perCode = Object.entries(src.codeMetrics).map(([code, metric]) =>
    labelReplace(`${latest(metric)} / ${src.periodSeconds}`, 'code', { value: code }),
  );
  const errorsMissingAsZero = Object.values(src.codeMetrics).map((m) => ` - (${latest(m)} or ${total} * 0)`).join('');
  const other = labelReplace(`clamp_min(${total}${errorsMissingAsZero}, 0) / ${src.periodSeconds}`, 'code', { value: 'other' });
  return normalise(src, [...perCode, other].join(' or '));
}

export function recordingGroups(cfg: PackConfig): RuleGroup<RecordingRule>[] {
  const n = names(cfg);
  const t = cfg.timings;
  const { namespace: nsL, service: svcL } = cfg.labels;
  const otel = (metric: string) => sel(metric, cfg.otelMatchers);
  const codes = alternation(cfg.gatewayCodes);
  const interval = t.evaluationInterval;

  const lb: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.lb-requests',
    interval,
    // One rule per source; the static `source` label keeps their series (and rules) apart.
    rules: cfg.sources.map((src) => ({
      record: n.lbRequests,
      expr: src.kind === 'counter' ? counterSourceExpr(cfg, src) : periodGaugeExpr(cfg, src),
      labels: { source: src.id },
    })),
  };

  const reasons = alternation(cfg.rollout.reasons);
  const { regex: depRegex, replacement: depRepl } = cfg.rollout.serviceFromDeployment;
  const startedAsService = renameLabel(
    `max_over_time(${otel('graceful_shutdown_started_timestamp_seconds')}[${t.rolloutTail}])`,
    svcL,
    'service',
  );
  const rollouts: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.rollouts',
    interval,
    rules: [
      {
        record: n.rolloutProgressing,
        // A new ReplicaSet is rolling out, or old-template pods still run. Not a bare generation
        // mismatch: scaling bumps the generation too, and scaling is not a rollout.
        expr: `max by (namespace, deployment) (
  (kube_deployment_status_condition{condition="Progressing", status="true", reason=~${str(reasons)}} == 1)
  or
  ((kube_deployment_status_replicas_updated < kube_deployment_status_replicas) * 0 + 1)
)`,
      },
      // Old pods keep draining after the controller reports completion.
      { record: n.rolloutActive, expr: `max_over_time(${n.rolloutProgressing}[${t.rolloutTail}])` },
      {
        record: n.shutdownChurn,
        // Fallback without kube-state-metrics: graceful-otel instances of the service began shutting down.
        expr: `count by (namespace, service) ((time() - ${renameLabel(startedAsService, nsL, 'namespace')}) < ${seconds(t.rolloutTail)}) * 0 + 1`,
      },
      {
        record: n.serviceRollout,
        expr: `max by (namespace, service) (
  ${labelReplace(n.rolloutActive, 'service', { from: 'deployment', regex: depRegex, replacement: depRepl })}
  or
  ${n.shutdownChurn}
)`,
      },
    ],
  };

  const ratios: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.lb-gateway-errors',
    interval,
    rules: [
      {
        record: n.gatewayErrorRatio,
        expr: `sum by (namespace, service) (${n.lbRequests}{code=~${str(codes)}})
/
sum by (namespace, service) (${n.lbRequests})`,
      },
      {
        record: n.gatewayErrorBaseline,
        // Error ratio outside rollout windows: what the service does when nobody deploys.
        expr: `avg_over_time((${n.gatewayErrorRatio} unless on (namespace, service) ${n.serviceRollout})[${t.baselineWindow}:${t.baselineStep}])`,
      },
    ],
  };

  const e = t.eventWindow;
  const restartsKey = 'namespace, pod, container';
  const shutdown: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.shutdown-events',
    interval,
    rules: [
      { record: n.forced, expr: increaseWithNew(otel('graceful_shutdown_forced_cancellations_total'), e) },
      { record: n.drainBucket, expr: increaseWithNew(otel('graceful_shutdown_drain_duration_seconds_bucket'), e) },
      { record: n.drainSum, expr: increaseWithNew(otel('graceful_shutdown_drain_duration_seconds_sum'), e) },
      { record: n.drainCount, expr: increaseWithNew(otel('graceful_shutdown_drain_duration_seconds_count'), e) },
      { record: n.hookSum, expr: increaseWithNew(otel('graceful_shutdown_hook_duration_seconds_sum'), e) },
      { record: n.hookCount, expr: increaseWithNew(otel('graceful_shutdown_hook_duration_seconds_count'), e) },
      {
        record: n.podDeployment,
        expr: `max by (namespace, pod, deployment) (
  ${labelReplace('kube_pod_owner{owner_kind="ReplicaSet"}', 'replicaset', { from: 'owner_name', regex: '(.*)' })}
  * on (namespace, replicaset) group_left (deployment)
  max by (namespace, replicaset, deployment) (${labelReplace('kube_replicaset_owner{owner_kind="Deployment"}', 'deployment', { from: 'owner_name', regex: '(.*)' })})
)`,
      },
      {
        record: n.sigkill,
        // Restarted containers whose last exit was 137 (SIGKILL) but not an OOM kill.
        expr: `max by (namespace, deployment, pod, container) (
  (
    (${increaseWithNew('kube_pod_container_status_restarts_total', e)} > 0)
    and on (${restartsKey}) (kube_pod_container_status_last_terminated_exitcode == 137)
    unless on (${restartsKey}) (kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} == 1)
  )
  * on (namespace, pod) group_left (deployment) ${n.podDeployment}
)`,
      },
    ],
  };

  return [lb, rollouts, ratios, shutdown];
}

export function alertGroups(cfg: PackConfig): RuleGroup<AlertRule>[] {
  const n = names(cfg);
  const a = alertNames(cfg);
  const t = cfg.timings;
  const th = cfg.thresholds;
  const { namespace: nsL, service: svcL, instance: instL } = cfg.labels;
  const otel = (metric: string) => sel(metric, cfg.otelMatchers);
  const runbook = (name: string) => `${cfg.runbookBaseUrl}/${name}.md`;
  const who = `{{ $labels.${nsL} }}/{{ $labels.${svcL} }}`;
  const instanceKeys = `${nsL}, ${svcL}, ${instL}`;
  const codes = cfg.gatewayCodes.join(', ');

  const rules: AlertRule[] = [
    {
      alert: a.deployErrors,
      expr: `(${n.gatewayErrorRatio} > ${th.errorRatio})
and on (namespace, service)
(
  ${n.gatewayErrorRatio}
  > on (namespace, service)
  (
    ${n.gatewayErrorBaseline} * ${th.baselineFactor} + ${th.baselineMargin}
    or on (namespace, service)
    ${n.gatewayErrorRatio} * 0 + ${th.baselineMargin}
  )
)
and on (namespace, service) (sum by (namespace, service) (${n.lbRequests}) >= ${th.minRequestRate})
and on (namespace, service) (${n.serviceRollout} == 1)`,
      for: t.deployAlertFor,
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Gateway errors at the load balancer during a rollout.',
        description: `{{ $labels.namespace }}/{{ $labels.service }} answers {{ $value | humanizePercentage }} of requests with a gateway error (${codes}) while it is being rolled out, above ${th.errorRatio * 100}% and above its pre-rollout baseline.`,
        runbook_url: runbook(a.deployErrors),
      },
    },
    {
      alert: a.forced,
      expr: `sum by (${nsL}, ${svcL}, kind) (${n.forced}) > 0`,
      for: t.shutdownAlertFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Shutdown deadlines cut in-flight work.',
        description: `${who} cancelled {{ $value }} {{ $labels.kind }}(s) at a shutdown deadline in the last ${t.eventWindow}.`,
        runbook_url: runbook(a.forced),
      },
    },
    {
      alert: a.drain,
      expr: `max by (${instanceKeys}) (
  (${n.drainSum} / ${n.drainCount})
  > ignoring (outcome) group_left
  max_over_time(${otel('graceful_shutdown_grace_period_seconds')}[${t.eventWindow}]) * ${th.drainOfGrace}
)`,
      for: t.shutdownAlertFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: `Draining took more than ${th.drainOfGrace * 100}% of the grace period.`,
        description: `${who} pod {{ $labels.${instL} }} drained for {{ $value | humanizeDuration }}, more than ${th.drainOfGrace * 100}% of its configured grace period.`,
        runbook_url: runbook(a.drain),
      },
    },
    {
      alert: a.sigkill,
      expr: `sum by (namespace, deployment) (${n.sigkill})
and on (namespace, deployment) (${n.rolloutActive} == 1)`,
      for: t.shutdownAlertFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Containers were killed by SIGKILL during a rollout.',
        description: '{{ $value }} container restart(s) of {{ $labels.namespace }}/{{ $labels.deployment }} ended with exit code 137 (SIGKILL, not OOMKilled) while it was rolling out.',
        runbook_url: runbook(a.sigkill),
      },
    },
    {
      alert: a.exitCode,
      // Pushed final values persist in a Pushgateway: only shutdowns that began recently count.
      expr: `max by (${instanceKeys}) (
  (max_over_time(${otel('graceful_shutdown_exit_code')}[${t.eventWindow}]) != 0)
  and ignoring (signal)
  ((time() - max_over_time(${otel('graceful_shutdown_started_timestamp_seconds')}[${t.eventWindow}])) < ${seconds(t.eventWindow)})
)`,
      for: t.shutdownAlertFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'A graceful-otel process exited with a non-zero code after shutdown.',
        description: `${who} pod {{ $labels.${instL} }} finished its shutdown with exit code {{ $value }}.`,
        runbook_url: runbook(a.exitCode),
      },
    },
  ];
  return [{ name: 'graceful-otel.alerts', interval: t.evaluationInterval, rules }];
}
