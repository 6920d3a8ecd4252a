// "Graceful shutdown": what each graceful-otel process did between SIGTERM and exit.
import { METRIC, PHASE_VALUES } from '../../telemetry/names.js';
import { alertNames, names } from '../rules.js';
import { sel, str } from '../promql.js';
import type { PackConfig } from '../types.js';
import { annotation, dashboard, dashboardLink, labelVariable, query, stat, stateTimeline, table, timeseries, UIDS, type Json } from './common.js';

export function shutdownDashboard(cfg: PackConfig): Json {
  const n = names(cfg);
  const a = alertNames(cfg);
  const { namespace: ns, service: svc, instance: inst } = cfg.labels;
  const filter = [cfg.otelMatchers, `${ns}=~"$namespace"`, `${svc}=~"$service"`, `${inst}=~"$pod"`];
  const m = (metric: string, ...extra: string[]) => sel(metric, ...filter, ...extra);
  const perInstance = `${ns}, ${svc}, ${inst}`;
  const ready = sel(METRIC.ready, cfg.otelMatchers);
  const phaseValue = PHASE_VALUES.map((phase, i) => `(${m(METRIC.phase, `phase=${str(phase)}`)} == 1) * ${i}`).join('\n  or ');
  const drainMean = `${m(n.drainSum)} / ${m(n.drainCount)}`;
  const runbook = (alert: string) => ({ title: `Runbook: ${alert}`, url: `${cfg.runbookBaseUrl}/${alert}.md` });

  return dashboard(cfg, {
    slug: UIDS.shutdown,
    title: 'graceful-otel / Graceful shutdown',
    description: 'What each graceful-otel process did between SIGTERM and exit: phases, draining against the grace period, forced cancellations, hooks and exit codes.',
    variables: [
      labelVariable('namespace', 'Namespace', ready, ns, 'Namespace of the graceful-otel processes.'),
      labelVariable('service', 'Service', sel(METRIC.ready, cfg.otelMatchers, `${ns}=~"$namespace"`), svc, `Service (the \`${svc}\` label: a ServiceMonitor sets it to the Service name, and the Pushgateway groups by it).`),
      labelVariable('pod', 'Pod', sel(METRIC.ready, cfg.otelMatchers, `${ns}=~"$namespace"`, `${svc}=~"$service"`), inst, 'Individual processes.'),
    ],
    annotations: [
      annotation('Shutdown started', 'orange', `max by (${perInstance}, signal) (${m(METRIC.shutdownStarted)}) * 1000`, 'shutdown: {{signal}}', `{{${ns}}}/{{${svc}}} {{${inst}}}`, true),
      annotation('Draining', 'purple', `max by (${perInstance}) (${m(METRIC.phase, 'phase="drain"')} == 1)`, 'draining', `{{${ns}}}/{{${svc}}} {{${inst}}}`, false),
    ],
    panels: [
      stateTimeline({
        title: 'Shutdown phase',
        description: 'Current phase of each process: serving, then delay (waiting for the load balancer to notice), drain, hooks and flush.',
        unit: 'none',
        width: 24,
        states: PHASE_VALUES,
        links: [dashboardLink(cfg, UIDS.deployErrors, 'graceful-otel / Deploy-time gateway errors')],
        targets: [query(`max by (${perInstance}) (\n  ${phaseValue}\n)`, `{{${inst}}}`, 'A')],
      }),
      timeseries({
        title: 'Processes shutting down',
        description: 'Processes past the serving phase, per service. Each bump is a shutdown (rollout, scale-down, eviction).',
        unit: 'short',
        targets: [query(`count by (${ns}, ${svc}) (${m(METRIC.phase, 'phase!="serving"')} == 1)`, `{{${ns}}}/{{${svc}}}`, 'A')],
      }),
      stat({
        title: 'Shutdowns in range',
        description: 'Distinct shutdowns that began in the selected range (a value pushed to a Pushgateway and also scraped counts once).',
        unit: 'short',
        targets: [query(`count(count_values("started_at", max_over_time(${m(METRIC.shutdownStarted)}[$__range]) > time() - $__range_s))`, 'shutdowns', 'A', 'instant')],
      }),
      timeseries({
        title: 'Drain duration against the grace period',
        description: `Time from drain start to drained (or forced), over ${cfg.timings.eventWindow} windows, next to the configured grace period. Draining near the grace period means the kubelet's SIGKILL is close.`,
        unit: 's',
        links: [runbook(a.drain)],
        targets: [
          query(`histogram_quantile(0.5, sum by (le) (${m(n.drainBucket)}))`, 'p50', 'A'),
          query(`histogram_quantile(0.95, sum by (le) (${m(n.drainBucket)}))`, 'p95', 'B'),
          query(`max(${drainMean})`, 'max', 'C'),
          query(`max(${m(METRIC.gracePeriod)})`, 'grace period', 'D'),
        ],
      }),
      timeseries({
        title: 'Forced cancellations by kind',
        description: `Requests, connections, hooks and background work cut at a deadline, per ${cfg.timings.eventWindow} window.`,
        unit: 'short',
        bars: true,
        links: [runbook(a.forced)],
        targets: [query(`sum by (kind) (${m(n.forced)})`, '{{kind}}', 'A')],
      }),
      table({
        title: 'Exit codes',
        description: 'The exit code each process announced at the end of its shutdown in the selected range (non-zero means a hook failed or a deadline was hit).',
        unit: 'none',
        links: [runbook(a.exitCode)],
        targets: [query(`max by (${perInstance}) (max_over_time(${m(METRIC.exitCode)}[$__range]))`, '', 'A', 'instant')],
      }),
      timeseries({
        title: 'Open connections',
        description: 'Open sockets per process and server. They should fall to zero during the drain phase.',
        unit: 'short',
        targets: [query(`sum by (${inst}, server) (${m(METRIC.activeConnections)})`, `{{${inst}}} {{server}}`, 'A')],
      }),
      timeseries({
        title: 'In-flight requests',
        description: 'Requests started and not yet finished, per process and server. Requests still in flight at the drain deadline are cancelled.',
        unit: 'short',
        targets: [query(`sum by (${inst}, server) (${m(METRIC.inflightRequests)})`, `{{${inst}}} {{server}}`, 'A')],
      }),
      timeseries({
        title: 'Hook duration (mean)',
        description: `Mean duration of each cleanup hook over ${cfg.timings.eventWindow} windows.`,
        unit: 's',
        targets: [query(`sum by (hook) (${m(n.hookSum)}) / sum by (hook) (${m(n.hookCount)})`, '{{hook}}', 'A')],
      }),
      timeseries({
        title: 'Hook failures',
        description: 'Cleanup hooks that threw or timed out.',
        unit: 'short',
        bars: true,
        targets: [query(`sum by (hook, outcome) (${m(n.hookCount, 'outcome=~"error|timeout"')})`, '{{hook}} {{outcome}}', 'A')],
      }),
    ],
  });
}
