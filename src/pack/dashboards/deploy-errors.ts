// "Deploy-time gateway errors": load-balancer gateway errors next to rollouts and to what the
// dying pods reported.
import { METRIC } from '../../telemetry/names.js';
import { alertNames, keySets, names } from '../rules.js';
import { sel } from '../promql.js';
import type { PackConfig } from '../types.js';
import { annotation, customVariable, dashboard, dashboardLink, labelVariable, overrides, query, table, timeseries, UIDS, type Json } from './common.js';

export function deployErrorsDashboard(cfg: PackConfig): Json {
  const n = names(cfg);
  const BY = keySets(cfg).service;
  const { namespace: ns, service: svc, instance: inst } = cfg.labels;
  const byService = ['namespace=~"$namespace"', 'service=~"$service"'];
  const lb = (...extra: string[]) => sel(n.lbRequests, ...byService, 'source=~"$source"', ...extra);
  const errors = `sum by (${BY}) (${lb('code=~"$gateway_codes"')})`;
  const requests = `sum by (${BY}) (${lb()})`;
  const rollout = `(${sel(n.serviceRollout, ...byService)} == 1)`;
  // Totals over the dashboard range, split by whether a rollout window was open.
  const during = (rate: string, op: 'and' | 'unless') => `sum by (${BY}) (sum_over_time((${rate} ${op} on (${BY}) ${rollout})[$__range:$__interval]))`;
  const ratioDuring = `${during(errors, 'and')} / ${during(requests, 'and')}`;
  const otel = (metric: string) => sel(metric, cfg.otelMatchers, `${ns}=~"$namespace"`, `${svc}=~"$service"`);
  const runbook = { title: `Runbook: ${alertNames(cfg).deployErrors}`, url: `${cfg.runbookBaseUrl}/${alertNames(cfg).deployErrors}.md` };
  const toShutdown = dashboardLink(cfg, UIDS.shutdown, 'graceful-otel / Graceful shutdown');
  const titles = cfg.sources.map((s) => s.title.replace(/ \(.*\)$/, '')).join(', ');

  return dashboard(cfg, {
    slug: UIDS.deployErrors,
    title: 'graceful-otel / Deploy-time gateway errors',
    description: `Gateway errors at the load balancer (normalised across ${titles}) next to rollouts and to graceful-otel shutdowns.`,
    variables: [
      labelVariable('namespace', 'Namespace', n.lbRequests, 'namespace', 'Namespace as reported by the load balancer (normalised).'),
      labelVariable('service', 'Service', sel(n.lbRequests, 'namespace=~"$namespace"'), 'service', 'Service as reported by the load balancer (normalised). Deployments are matched through the serviceFromDeployment mapping, graceful-otel jobs by name.'),
      labelVariable('source', 'Load balancer', n.lbRequests, 'source', 'Which load-balancer source the series come from.'),
      customVariable('gateway_codes', 'Gateway codes', cfg.gatewayCodeChoices, cfg.gatewayCodes, 'Status codes that count as gateway errors. Envoy-based proxies (Istio, Contour, Envoy Gateway) answer 503 when a pod goes away; HAProxy (and ingress-nginx with --report-status-classes) only report the 5xx class.'),
    ],
    annotations: [
      annotation('Rollouts', 'blue', `max by (${BY}, deployment) (${sel(n.rolloutProgressing, ...byService)})`, 'rollout', '{{namespace}}/{{deployment}}', false),
      annotation('graceful-otel shutdowns', 'orange', `max by (${ns}, ${svc}, ${inst}) (${otel(METRIC.shutdownStarted)}) * 1000`, 'shutdown', `{{${ns}}}/{{${svc}}} {{${inst}}}`, true),
    ],
    panels: [
      timeseries({
        title: 'Gateway error rate',
        description: 'Responses with a code from the gateway code set, per second, as counted by the load balancer.',
        unit: 'reqps',
        targets: [query(`sum by (${BY}, code) (${lb('code=~"$gateway_codes"')})`, '{{namespace}}/{{service}} {{code}}', 'A')],
      }),
      timeseries({
        title: 'Gateway error ratio (alert input)',
        description: `Share of all requests answered with a gateway error over ${cfg.timings.ratioWindow} windows (what the deploy alert reads), and the steady-state baseline outside rollouts. Only the configured gateway codes count.`,
        unit: 'percentunit',
        links: [runbook],
        targets: [query(sel(n.gatewayErrorRatio, ...byService), '{{namespace}}/{{service}}', 'A'), query(sel(n.gatewayErrorBaseline, ...byService), '{{namespace}}/{{service}} baseline', 'B')],
      }),
      timeseries({
        title: 'Requests by code',
        description: 'All requests seen by the load balancer, per status code (or class, for HAProxy).',
        unit: 'reqps',
        targets: [query(`sum by (code) (${lb()})`, '{{code}}', 'A')],
      }),
      overrides(
        timeseries({
          title: 'Gateway errors and forced cancellations',
          description: 'Gateway errors at the load balancer (left axis) against the work graceful-otel had to cut at shutdown deadlines (bars, right axis).',
          unit: 'reqps',
          links: [toShutdown],
          targets: [query(errors, '{{namespace}}/{{service}} gateway errors', 'A'), query(`sum by (${ns}, ${svc}) (${otel(n.forced)})`, `{{${ns}}}/{{${svc}}} forced cancellations`, 'B')],
        }),
        [['B', [{ id: 'unit', value: 'short' }, { id: 'custom.axisPlacement', value: 'right' }, { id: 'custom.drawStyle', value: 'bars' }]]],
        'byFrameRefID',
      ),
      table({
        title: 'Rollouts and their gateway errors',
        description: 'Per service, over the selected range: gateway errors while a rollout window was open, the error ratio during rollouts, and the ratio outside rollouts (the baseline).',
        unit: 'percentunit',
        width: 24,
        targets: [
          query(`${during(errors, 'and')} * $__interval_ms / 1000`, '', 'A', 'instant'),
          query(ratioDuring, '', 'B', 'instant'),
          query(`(${during(errors, 'unless')} / ${during(requests, 'unless')})\nand on (${BY}) (${ratioDuring})`, '', 'C', 'instant'),
        ],
        columns: { 'Value #A': { name: 'Gateway errors during rollouts', unit: 'short' }, 'Value #B': { name: 'Error ratio during rollouts' }, 'Value #C': { name: 'Error ratio outside rollouts' } },
      }),
      timeseries({
        title: 'Containers killed by SIGKILL',
        description: 'Container restarts whose last exit code was 137 (SIGKILL) and not OOMKilled, per Deployment (kube-state-metrics), matched to the service through serviceFromDeployment. Deleted pods vanish from kube-state-metrics, so this sees restarts, not every killed old pod.',
        unit: 'short',
        bars: true,
        links: [{ title: `Runbook: ${alertNames(cfg).sigkill}`, url: `${cfg.runbookBaseUrl}/${alertNames(cfg).sigkill}.md` }],
        targets: [query(`sum by (namespace, deployment) (${sel(n.sigkill, ...byService)})`, '{{namespace}}/{{deployment}}', 'A')],
      }),
    ],
  });
}
