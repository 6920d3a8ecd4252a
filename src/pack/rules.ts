// Recording and alerting rules, built from the resolved config. The generator writes them as a
// plain Prometheus rules file and as a PrometheusRule manifest; the tests feed the plain files to
// promtool. docs/grafana-pack.md explains the windows, the baseline and the NaN guards.
import { METRIC } from '../telemetry/names.js';
import { matchedCodes } from './config.js';
import { OVERRIDE } from './sources.js';
import { alternation, applySteps, dropNaN, increaseWithNew, keys, labelReplace, rateWithNew, renameLabel, seconds, sel, str } from './promql.js';
import type { CounterSource, LbSource, PackConfig, PeriodGaugeSource } from './types.js';

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
  const { rateWindow: r, ratioWindow: a, eventWindow: e, baselineWindow: b } = cfg.timings;
  return {
    lbRequests: `graceful:lb_requests:rate${r}`,
    requests: `graceful:lb_requests:sum_rate${r}`,
    gatewayErrors: `graceful:lb_gateway_errors:sum_rate${r}`,
    steadyRequests: `graceful:lb_requests:sum_rate${r}:steady`,
    steadyErrors: `graceful:lb_gateway_errors:sum_rate${r}:steady`,
    gatewayErrorRatio: `graceful:lb_gateway_errors:ratio_rate${a}`,
    gatewayErrorBaseline: `graceful:lb_gateway_errors:ratio_rate${r}:baseline${b}`,
    rolloutProgressing: 'graceful:rollout:progressing',
    rolloutActive: 'graceful:rollout:active',
    ksmServices: 'graceful:rollout:known_services',
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

/** The label sets the pack aggregates by, with the cluster label when one is configured. */
export function keySets(cfg: PackConfig) {
  const c = cfg.clusterLabel;
  return { service: keys(c, 'namespace', 'service'), lb: keys(c, 'namespace', 'service', 'code'), deployment: keys(c, 'namespace', 'deployment'), cluster: c };
}

const JOIN_KEY = 'graceful_key';
const OVERRIDES = `${OVERRIDE.namespace}, ${OVERRIDE.service}`;

function normalise(cfg: PackConfig, src: LbSource, expr: string): string {
  const withNamespace = applySteps(expr, 'namespace', src.namespace);
  return `sum by (${keySets(cfg).lb}) (${applySteps(withNamespace, 'service', src.service)})`;
}

/** Traefik-style `<namespace>-<service>-<port>@provider`: the key is looked up in kube_service_info. */
function joinedKeyExpr(cfg: PackConfig, src: CounterSource, rates: string): string {
  const join = src.joinedKey as NonNullable<CounterSource['joinedKey']>;
  const k = keySets(cfg);
  const on = keys(k.cluster, JOIN_KEY);
  const lb = `sum by (${keys(on, 'code', OVERRIDES)}) (${labelReplace(rates, JOIN_KEY, { from: join.from, regex: join.regex })})`;
  const info = `label_join(${sel('kube_service_info', cfg.ksmMatchers)}, ${str(JOIN_KEY)}, "-", "namespace", "service")`;
  // A key two Services share (shop-web/api and shop/web-api) stays unresolved rather than failing the rule.
  const services = `(max by (${keys(on, 'namespace', 'service')}) (${info}) unless on (${on}) (count by (${on}) (${info}) > 1))`;
  const joined = `(${lb} * on (${on}) group_left (namespace, service) (${services} * 0 + 1))`;
  const unresolved = labelReplace(labelReplace(`(${lb} unless on (${on}) ${services})`, 'service', { from: JOIN_KEY }), 'namespace', { value: '' });
  return normalise(cfg, src, `(${joined} or ${unresolved})`);
}

function counterSourceExpr(cfg: PackConfig, src: CounterSource): string {
  const w = cfg.timings.rateWindow;
  const rates = renameLabel(rateWithNew(sel(src.metric, src.matchers), w), src.codeLabel, 'code');
  const main = src.joinedKey ? joinedKeyExpr(cfg, src, rates) : normalise(cfg, src, rates);
  if (!src.extra?.length) return main;
  // Missing-as-zero sum: `a + b` where both exist, plus whatever only one side has.
  return src.extra.reduce((acc, extra) => {
    const side = normalise(cfg, src, labelReplace(rateWithNew(sel(extra.metric, extra.matchers), w), 'code', { value: extra.code }));
    return `(${acc} + ${side}) or ${acc} or ${side}`;
  }, main);
}

function periodGaugeExpr(cfg: PackConfig, src: PeriodGaugeSource): string {
  // Per-period sums: the latest value divided by the period is a per-second rate. Never rate().
  // YACE writes NaN for a period CloudWatch has no datapoint for (nilToZero: false, its default,
  // and ALB reports error counts only when they are not zero): a NaN error count is zero errors.
  const latest = (metric: string) => dropNaN(sel(metric, src.matchers));
  const total = latest(src.totalMetric);
  const perCode = Object.entries(src.codeMetrics).map(([code, metric]) => labelReplace(`${latest(metric)} / ${src.periodSeconds}`, 'code', { value: code }));
  const errorsMissingAsZero = Object.values(src.codeMetrics).map((m) => ` - (${latest(m)} or ${total} * 0)`).join('');
  const other = labelReplace(`clamp_min(${total}${errorsMissingAsZero}, 0) / ${src.periodSeconds}`, 'code', { value: 'other' });
  return normalise(cfg, src, [...perCode, other].join(' or '));
}

export function recordingGroups(cfg: PackConfig): RuleGroup<RecordingRule>[] {
  const n = names(cfg);
  const t = cfg.timings;
  const k = keySets(cfg);
  const { namespace: nsL, service: svcL } = cfg.labels;
  const otel = (metric: string) => sel(metric, cfg.otelMatchers);
  const ksm = (metric: string, ...matchers: string[]) => sel(metric, cfg.ksmMatchers, ...matchers);
  const interval = t.evaluationInterval;
  const { regex: depRegex, replacement: depRepl } = cfg.rollout.serviceFromDeployment;
  const asService = (expr: string) => labelReplace(expr, 'service', { from: 'deployment', regex: depRegex, replacement: depRepl });

  const lb: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.lb-requests',
    interval,
    rules: [
      // One rule per source; the static `source` label keeps their series (and rules) apart.
      ...cfg.sources.map((src) => ({
        record: n.lbRequests,
        expr: src.kind === 'counter' ? counterSourceExpr(cfg, src) : periodGaugeExpr(cfg, src),
        labels: { source: src.id },
      })),
      { record: n.requests, expr: `sum by (${k.service}) (${n.lbRequests})` },
      {
        record: n.gatewayErrors,
        // A service with traffic and no gateway error series has zero gateway errors, not none.
        expr: `sum by (${k.service}) (${n.lbRequests}{code=~${str(alternation(matchedCodes(cfg)))}})\nor\n${n.requests} * 0`,
      },
    ],
  };

  const startedAsService = renameLabel(`max_over_time(${otel(METRIC.shutdownStarted)}[${t.rolloutTail}])`, svcL, 'service');
  const rollouts: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.rollouts',
    interval,
    rules: [
      {
        record: n.rolloutProgressing,
        // A new ReplicaSet is rolling out, or old-template pods still run. Not a bare generation
        // mismatch: scaling bumps the generation too, and scaling is not a rollout.
        expr: asService(`max by (${k.deployment}) (
  (${ksm('kube_deployment_status_condition', 'condition="Progressing"', 'status="true"', `reason=~${str(alternation(cfg.rollout.reasons))}`)} == 1)
  or
  ((${ksm('kube_deployment_status_replicas_updated')} < ${ksm('kube_deployment_status_replicas')}) * 0 + 1)
)`),
      },
      // Old pods keep draining after the controller reports completion.
      { record: n.rolloutActive, expr: `max_over_time(${n.rolloutProgressing}[${t.rolloutTail}])` },
      // Services kube-state-metrics reports Deployments for: there it decides what is a rollout.
      { record: n.ksmServices, expr: `max by (${k.service}) (${asService(ksm('kube_deployment_status_replicas'))}) * 0 + 1` },
      {
        record: n.shutdownChurn,
        // Without kube-state-metrics: graceful-otel instances of the service began shutting down.
        expr: `count by (${k.service}) ((time() - ${renameLabel(startedAsService, nsL, 'namespace')}) < ${seconds(t.rolloutTail)}) * 0 + 1`,
      },
      {
        record: n.serviceRollout,
        // Shutdown churn counts only where kube-state-metrics is silent: a scale-in there is no rollout.
        expr: `max by (${k.service}) (
  ${n.rolloutActive}
  or
  (${n.shutdownChurn} unless on (${k.service}) ${n.ksmServices})
)`,
      },
    ],
  };

  const window = (name: string, w: string) => `sum_over_time(${name}[${w}])`;
  const ratios: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.lb-gateway-errors',
    interval,
    rules: [
      {
        record: n.gatewayErrorRatio,
        // Summed over the ratio window, not averaged ratios: bursts count by their requests, and
        // a window without traffic has no ratio instead of NaN (0/0).
        expr: `${window(n.gatewayErrors, t.ratioWindow)}\n/\n(${window(n.requests, t.ratioWindow)} > 0)`,
      },
      { record: n.steadyRequests, expr: `${n.requests} unless on (${k.service}) ${n.serviceRollout}` },
      { record: n.steadyErrors, expr: `${n.gatewayErrors} unless on (${k.service}) ${n.serviceRollout}` },
      {
        record: n.gatewayErrorBaseline,
        // Gateway errors over all requests outside rollout windows: what the service does when
        // nobody deploys. Zero-filled errors and the > 0 guard keep idle periods and late first
        // errors from skewing it, and NaN never reaches it.
        expr: `${window(n.steadyErrors, t.baselineWindow)}\n/\n(${window(n.steadyRequests, t.baselineWindow)} > 0)`,
      },
    ],
  };

  const e = t.eventWindow;
  const restartsKey = keys(k.cluster, 'namespace', 'pod', 'container');
  const podKey = keys(k.cluster, 'namespace', 'pod');
  const shutdown: RuleGroup<RecordingRule> = {
    name: 'graceful-otel.shutdown-events',
    interval,
    rules: [
      { record: n.forced, expr: increaseWithNew(otel(METRIC.forcedCancellations), e) },
      { record: n.drainBucket, expr: increaseWithNew(otel(`${METRIC.drainDuration}_bucket`), e) },
      { record: n.drainSum, expr: increaseWithNew(otel(`${METRIC.drainDuration}_sum`), e) },
      { record: n.drainCount, expr: increaseWithNew(otel(`${METRIC.drainDuration}_count`), e) },
      { record: n.hookSum, expr: increaseWithNew(otel(`${METRIC.hookDuration}_sum`), e) },
      { record: n.hookCount, expr: increaseWithNew(otel(`${METRIC.hookDuration}_count`), e) },
      {
        record: n.podDeployment,
        expr: asService(`max by (${keys(podKey, 'deployment')}) (
  ${labelReplace(ksm('kube_pod_owner', 'owner_kind="ReplicaSet"'), 'replicaset', { from: 'owner_name', regex: '(.*)' })}
  * on (${keys(k.cluster, 'namespace', 'replicaset')}) group_left (deployment)
  max by (${keys(k.cluster, 'namespace', 'replicaset', 'deployment')}) (${labelReplace(ksm('kube_replicaset_owner', 'owner_kind="Deployment"'), 'deployment', { from: 'owner_name', regex: '(.*)' })})
)`),
      },
      {
        record: n.sigkill,
        // Restarted containers whose last exit was 137 (SIGKILL) but not an OOM kill.
        expr: `max by (${keys(k.deployment, 'service', 'pod', 'container')}) (
  (
    (${increaseWithNew(ksm('kube_pod_container_status_restarts_total'), e)} > 0)
    and on (${restartsKey}) (${ksm('kube_pod_container_status_last_terminated_exitcode')} == 137)
    unless on (${restartsKey}) (${ksm('kube_pod_container_status_last_terminated_reason', 'reason="OOMKilled"')} == 1)
  )
  * on (${podKey}) group_left (deployment, service) ${n.podDeployment}
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
  const k = keySets(cfg);
  const { namespace: nsL, service: svcL, instance: instL } = cfg.labels;
  const otel = (metric: string) => sel(metric, cfg.otelMatchers);
  const runbook = (name: string) => `${cfg.runbookBaseUrl}/${name}.md`;
  const who = `{{ $labels.${nsL} }}/{{ $labels.${svcL} }}`;
  const instanceKeys = keys(k.cluster, nsL, svcL, instL);
  const codes = matchedCodes(cfg).join(', ');

  const rules: AlertRule[] = [
    {
      alert: a.deployErrors,
      expr: `(${n.gatewayErrorRatio} > ${th.errorRatio})
and on (${k.service})
(
  ${n.gatewayErrorRatio}
  > on (${k.service})
  (
    ${n.gatewayErrorBaseline} * ${th.baselineFactor} + ${th.baselineMargin}
    or on (${k.service})
    ${n.gatewayErrorRatio} * 0 + ${th.baselineMargin}
  )
)
and on (${k.service}) (avg_over_time(${n.requests}[${t.ratioWindow}]) >= ${th.minRequestRate})
and on (${k.service}) (${n.serviceRollout} == 1)`,
      for: t.deployAlertFor,
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Gateway errors at the load balancer during a rollout.',
        description: `{{ $labels.namespace }}/{{ $labels.service }} answered {{ $value | humanizePercentage }} of requests over the last ${t.ratioWindow} with a gateway error (${codes}) while it is being rolled out, above ${th.errorRatio * 100}% and above its steady-state baseline.`,
        runbook_url: runbook(a.deployErrors),
      },
    },
    {
      alert: a.forced,
      expr: `sum by (${keys(k.cluster, nsL, svcL, 'kind')}) (${n.forced}) > 0`,
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
  max_over_time(${otel(METRIC.gracePeriod)}[${t.eventWindow}]) * ${th.drainOfGrace}
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
      expr: `sum by (${k.deployment}) (${n.sigkill})
and on (${k.deployment}) (${n.rolloutActive} == 1)`,
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
  (max_over_time(${otel(METRIC.exitCode)}[${t.eventWindow}]) != 0)
  and ignoring (signal)
  ((time() - max_over_time(${otel(METRIC.shutdownStarted)}[${t.eventWindow}])) < ${seconds(t.eventWindow)})
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
