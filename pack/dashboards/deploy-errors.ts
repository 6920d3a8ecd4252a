// "Deploy-time gateway errors": load-balancer gateway errors next to rollouts and to what the
// dying pods reported.
import type { PackConfig } from '../config.ts';
import { names } from '../rules.ts';
import { sel } from '../promql.ts';
import { annotation, customVariable, dashboard, labelVariable, query, table, timeseries } from './common.ts';

const BY = 'namespace, service';

export function deployErrorsDashboard(cfg: PackConfig) {
  const n = names(cfg);
  const { namespace: ns, service: svc } = cfg.labels;
  const lbFilter = ['namespace=~"$namespace"', 'service=~"$service"', 'source=~"$source"'];
  const lb = (...extra: string[]) => sel(n.lbRequests, ...lbFilter, ...extra);
  const errors = `sum by (${BY}) (${lb('code=~"$gateway_codes"')})`;
  const requests = `sum by (${BY}) (${lb()})`;
  const rollout = `(${sel(n.serviceRollout, 'namespace=~"$namespace"', 'service=~"$service"')} == 1)`;
  // Totals over the dashboard range, split by whether a rollout window was open.
  const during = (rate: string, op: 'and' | 'unless') => `sum by (${BY}) (sum_over_time((${rate} ${op} on (${BY}) ${rollout})[$__range:$__interval]))`;
  const ratioDuring = `${during(errors, 'and')} / ${during(requests, 'and')}`;
  const otel = (metric: string) => sel(metric, cfg.otelMatchers, `${ns}=~"$namespace"`, `${svc}=~"$service"`);

  return dashboard(cfg, 'deploy-errors', 'graceful-otel / Deploy-time gateway errors', 'Gateway errors at the load balancer (normalised across ingress-nginx, Istio, Envoy, Traefik, Linkerd, Kong, Caddy, HAProxy and AWS ALB) next to rollouts and to graceful-otel shutdowns.')
    .withVariable(labelVariable('namespace', 'Namespace', n.lbRequests, 'namespace', 'Namespace as reported by the load balancer (normalised).'))
    .withVariable(labelVariable('service', 'Service', sel(n.lbRequests, 'namespace=~"$namespace"'), 'service', 'Service as reported by the load balancer (normalised). Deployments and graceful-otel jobs are matched by the same name.'))
    .withVariable(labelVariable('source', 'Load balancer', n.lbRequests, 'source', 'Which load-balancer source the series come from.'))
    .withVariable(customVariable('gateway_codes', 'Gateway codes', cfg.gatewayCodeChoices, cfg.gatewayCodes, 'Status codes that count as gateway errors. Envoy-based proxies (Istio, Contour, Envoy Gateway) answer 503 when a pod goes away; HAProxy only reports the 5xx class.'))
    .annotation(annotation('Rollouts', 'blue', `max by (namespace, deployment) (${sel(n.rolloutProgressing, 'namespace=~"$namespace"', 'deployment=~"$service"')})`, 'rollout', '{{namespace}}/{{deployment}}', false))
    .annotation(annotation('graceful-otel shutdowns', 'orange', `max by (${ns}, ${svc}, ${cfg.labels.instance}) (${otel('graceful_shutdown_started_timestamp_seconds')}) * 1000`, 'shutdown', `{{${ns}}}/{{${svc}}} {{${cfg.labels.instance}}}`, true))
    .withPanel(
      timeseries({
        title: 'Gateway error rate',
        description: 'Responses with a code from the gateway code set, per second, as counted by the load balancer.',
        unit: 'reqps',
        targets: [query(`sum by (${BY}, code) (${lb('code=~"$gateway_codes"')})`, '{{namespace}}/{{service}} {{code}}', 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Gateway error ratio',
        description: 'Share of all requests answered with a gateway error. Only gateway codes count: application 500s and 4xx do not.',
        unit: 'percentunit',
        targets: [query(`${errors}\n/\n${requests}`, '{{namespace}}/{{service}}', 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Requests by code',
        description: 'All requests seen by the load balancer, per status code (or class, for HAProxy).',
        unit: 'reqps',
        targets: [query(`sum by (code) (${lb()})`, '{{code}}', 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Gateway errors and forced cancellations',
        description: 'Gateway errors at the load balancer (left axis) against the work graceful-otel had to cut at shutdown deadlines (bars, right axis).',
        unit: 'reqps',
        targets: [
          query(errors, '{{namespace}}/{{service}} gateway errors', 'A'),
          query(`sum by (${ns}, ${svc}) (${otel(n.forced)})`, `{{${ns}}}/{{${svc}}} forced cancellations`, 'B'),
        ],
      }).overrideByQuery('B', [
        { id: 'unit', value: 'short' },
        { id: 'custom.axisPlacement', value: 'right' },
        { id: 'custom.drawStyle', value: 'bars' },
      ]),
    )
    .withPanel(
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
      })
        .overrideByName('Value #A', [{ id: 'unit', value: 'short' }, { id: 'displayName', value: 'Gateway errors during rollouts' }])
        .overrideByName('Value #B', [{ id: 'displayName', value: 'Error ratio during rollouts' }])
        .overrideByName('Value #C', [{ id: 'displayName', value: 'Error ratio outside rollouts' }]),
    )
    .withPanel(
      timeseries({
        title: 'Containers killed by SIGKILL',
        description: 'Container restarts whose last exit code was 137 (SIGKILL) and not OOMKilled, per Deployment (kube-state-metrics). Deleted pods vanish from kube-state-metrics, so this sees restarts, not every killed old pod.',
        unit: 'short',
        bars: true,
        targets: [query(`sum by (namespace, deployment) (${sel(n.sigkill, 'namespace=~"$namespace"', 'deployment=~"$service"')})`, '{{namespace}}/{{deployment}}', 'A')],
      }),
    );
}
