// "Graceful shutdown": what each graceful-otel process did between SIGTERM and exit.
import { PHASES, type PackConfig } from '../config.ts';
import { names } from '../rules.ts';
import { sel, str } from '../promql.ts';
import { annotation, dashboard, labelVariable, query, stateTimeline, stat, table, timeseries } from './common.ts';

export function shutdownDashboard(cfg: PackConfig) {
  const n = names(cfg);
  const { namespace: ns, service: svc, instance: inst } = cfg.labels;
  const filter = [cfg.otelMatchers, `${ns}=~"$namespace"`, `${svc}=~"$service"`, `${inst}=~"$pod"`];
  const m = (metric: string, ...extra: string[]) => sel(metric, ...filter, ...extra);
  const perInstance = `${ns}, ${svc}, ${inst}`;
  const ready = sel('graceful_ready', cfg.otelMatchers);
  const phaseValue = PHASES.map((phase, i) => `(${m('graceful_shutdown_phase', `phase=${str(phase)}`)} == 1) * ${i}`).join('\n  or ');
  const drainMean = `${m(n.drainSum)} / ${m(n.drainCount)}`;

  return dashboard(cfg, 'shutdown', 'graceful-otel / Graceful shutdown', 'What each graceful-otel process did between SIGTERM and exit: phases, draining against the grace period, forced cancellations, hooks and exit codes.')
    .withVariable(labelVariable('namespace', 'Namespace', ready, ns, 'Namespace of the graceful-otel processes.'))
    .withVariable(labelVariable('service', 'Service', sel('graceful_ready', cfg.otelMatchers, `${ns}=~"$namespace"`), svc, `Service (the \`${svc}\` label: a ServiceMonitor sets it to the Service name, and the Pushgateway groups by it).`))
    .withVariable(labelVariable('pod', 'Pod', sel('graceful_ready', cfg.otelMatchers, `${ns}=~"$namespace"`, `${svc}=~"$service"`), inst, 'Individual processes.'))
    .annotation(annotation('Shutdown started', 'orange', `max by (${perInstance}, signal) (${m('graceful_shutdown_started_timestamp_seconds')}) * 1000`, 'shutdown: {{signal}}', `{{${ns}}}/{{${svc}}} {{${inst}}}`, true))
    .annotation(annotation('Draining', 'purple', `max by (${perInstance}) (${m('graceful_shutdown_phase', 'phase="drain"')} == 1)`, 'draining', `{{${ns}}}/{{${svc}}} {{${inst}}}`, false))
    .withPanel(
      stateTimeline({
        title: 'Shutdown phase',
        description: 'Current phase of each process: serving, then delay (waiting for the load balancer to notice), drain, hooks and flush.',
        unit: 'none',
        width: 24,
        states: PHASES,
        targets: [query(`max by (${perInstance}) (\n  ${phaseValue}\n)`, `{{${inst}}}`, 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Processes shutting down',
        description: 'Processes past the serving phase, per service. Each bump is a shutdown (rollout, scale-down, eviction).',
        unit: 'short',
        targets: [query(`count by (${ns}, ${svc}) (${m('graceful_shutdown_phase', 'phase!="serving"')} == 1)`, `{{${ns}}}/{{${svc}}}`, 'A')],
      }),
    )
    .withPanel(
      stat({
        title: 'Shutdowns in range',
        description: 'Distinct shutdowns that began in the selected range (a value pushed to a Pushgateway and also scraped counts once).',
        unit: 'short',
        targets: [query(`count(count_values("started_at", max_over_time(${m('graceful_shutdown_started_timestamp_seconds')}[$__range]) > time() - $__range_s))`, 'shutdowns', 'A', 'instant')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Drain duration against the grace period',
        description: `Time from drain start to drained (or forced), over ${cfg.timings.eventWindow} windows, next to the configured grace period. Draining near the grace period means the kubelet's SIGKILL is close.`,
        unit: 's',
        targets: [
          query(`histogram_quantile(0.5, sum by (le) (${m(n.drainBucket)}))`, 'p50', 'A'),
          query(`histogram_quantile(0.95, sum by (le) (${m(n.drainBucket)}))`, 'p95', 'B'),
          query(`max(${drainMean})`, 'max', 'C'),
          query(`max(${m('graceful_shutdown_grace_period_seconds')})`, 'grace period', 'D'),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Forced cancellations by kind',
        description: `Requests, connections, hooks and background work cut at a deadline, per ${cfg.timings.eventWindow} window.`,
        unit: 'short',
        bars: true,
        targets: [query(`sum by (kind) (${m(n.forced)})`, '{{kind}}', 'A')],
      }),
    )
    .withPanel(
      table({
        title: 'Exit codes',
        description: 'The exit code each process announced at the end of its shutdown in the selected range (non-zero means a hook failed or a deadline was hit).',
        unit: 'none',
        targets: [query(`max by (${perInstance}) (max_over_time(${m('graceful_shutdown_exit_code')}[$__range]))`, '', 'A', 'instant')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Open connections',
        description: 'Open sockets per process and server. They should fall to zero during the drain phase.',
        unit: 'short',
        targets: [query(`sum by (${inst}, server) (${m('graceful_http_active_connections')})`, '{{' + inst + '}} {{server}}', 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'In-flight requests',
        description: 'Requests started and not yet finished, per process and server. Requests still in flight at the drain deadline are cancelled.',
        unit: 'short',
        targets: [query(`sum by (${inst}, server) (${m('graceful_http_inflight_requests')})`, '{{' + inst + '}} {{server}}', 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Hook duration (mean)',
        description: `Mean duration of each cleanup hook over ${cfg.timings.eventWindow} windows.`,
        unit: 's',
        targets: [query(`sum by (hook) (${m(n.hookSum)}) / sum by (hook) (${m(n.hookCount)})`, '{{hook}}', 'A')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Hook failures',
        description: 'Cleanup hooks that threw or timed out.',
        unit: 'short',
        bars: true,
        targets: [query(`sum by (hook, outcome) (${m(n.hookCount, 'outcome=~"error|timeout"')})`, '{{hook}} {{outcome}}', 'A')],
      }),
    );
}
